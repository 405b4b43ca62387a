import { activate, bearer, createUserWithToken, startTestApp, type TestApp } from '../helpers/app';
import { startBind, type TestBind } from '../helpers/bind';

jest.setTimeout(60_000);

describe('domains: add, read, change, remove', () => {
  let app: TestApp;
  let token: string;
  let bind: TestBind;
  const auth = () => bearer(token);

  beforeAll(async () => {
    bind = await startBind('dns.test', ['taken IN A 10.9.9.9']);
    app = await startTestApp({ env: { BERTH_DNS_SERVERS: `127.0.0.1:${bind.port}`, BERTH_DNS_TIMEOUT_SECS: '2' } });
    ({ token } = await activate(app));
  });

  afterAll(async () => {
    await app?.close();
    await bind?.stop();
  });

  it('adds a noop domain with a fallback certificate, lists it, reads it, removes it', async () => {
    const added = await app.api.post('/api/v1/domains').set(auth()).send({ domain: 'Example.TEST.', provider: 'noop', config: {} }).expect(201);
    expect(added.body).toMatchObject({
      domain: 'example.test',
      zoneName: 'example.test',
      provider: 'noop',
      config: {},
      tlsConfig: { provider: 'letsencrypt-prod', wildcard: false },
      wellKnown: null,
      locked: false,
    });
    expect(added.body.fallbackCertificate.cert).toMatch(/BEGIN CERTIFICATE/);
    expect(added.body.fallbackCertificate.key).toBeUndefined();

    const list = await app.api.get('/api/v1/domains').set(auth()).expect(200);
    expect(list.body.domains.map((d: { domain: string }) => d.domain)).toContain('example.test');
    await app.api.get('/api/v1/domains/example.test').set(auth()).expect(200);

    await app.api.put('/api/v1/domains/example.test').set(auth()).send({ provider: 'manual', config: {}, tlsConfig: { provider: 'fallback' } }).expect(204);
    const changed = await app.api.get('/api/v1/domains/example.test').set(auth()).expect(200);
    expect(changed.body).toMatchObject({ provider: 'manual', tlsConfig: { provider: 'fallback', wildcard: false } });
    expect(changed.body.fallbackCertificate.cert).toBe(added.body.fallbackCertificate.cert);

    await app.api.delete('/api/v1/domains/example.test').set(auth()).expect(204);
    await app.api.get('/api/v1/domains/example.test').set(auth()).expect(404);
    await app.api.delete('/api/v1/domains/example.test').set(auth()).expect(404);

    const events = (await app.api.get('/api/v1/eventlog?per_page=100').set(auth()).expect(200)).body.eventlogs as Array<{ action: string }>;
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['domain.add', 'domain.update', 'domain.remove']));
  });

  it('refuses bad names, zones outside the domain, unknown providers and duplicates', async () => {
    const add = (body: Record<string, unknown>) => app.api.post('/api/v1/domains').set(auth()).send({ provider: 'noop', config: {}, ...body });
    for (const domain of ['nodots', 'bad_label.test', '-x.test', '1.2.3.4', 'a..test', `${'a'.repeat(64)}.test`]) {
      const res = await add({ domain }).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(res.body.message).toMatch(/domain/);
    }
    expect((await add({ domain: 'sub.zone.test', zoneName: 'other.test' }).expect(400)).body.message).toMatch(/zoneName/);
    expect((await add({ domain: 'zone.test', zoneName: 'sub.zone.test' }).expect(400)).body.message).toMatch(/zoneName/);
    await add({ domain: 'x.test', provider: 'cloudflare' }).expect(400);
    await add({ domain: 'x.test', unknown: 1 }).expect(400);
    await add({ domain: 'x.test', tlsConfig: { provider: 'nope' } }).expect(400);
    await add({ domain: 'x.test', fallbackCertificate: { cert: 'not pem', key: 'nope' } }).expect(400);

    await add({ domain: 'sub.zone.test', zoneName: 'zone.test' }).expect(201);
    expect((await add({ domain: 'sub.zone.test' }).expect(409)).body.code).toBe('CONFLICT');
  });

  it('is for admins only', async () => {
    const user = await createUserWithToken(app, 'user');
    await app.api.get('/api/v1/domains').set(bearer(user.token)).expect(403);
    const readOnly = await createUserWithToken(app, 'admin', { readOnly: true });
    await app.api.get('/api/v1/domains').set(bearer(readOnly.token)).expect(200);
    await app.api.post('/api/v1/domains').set(bearer(readOnly.token)).send({ domain: 'ro.test', provider: 'noop', config: {} }).expect(403);
  });

  describe('rfc2136 against a real BIND', () => {
    it('verifies the key with a live update, hides the secret, keeps it when sent back hidden', async () => {
      const added = await app.api.post('/api/v1/domains').set(auth()).send({ domain: 'dns.test', provider: 'rfc2136', config: bind.config }).expect(201);
      expect(added.body.config).toEqual({ server: '127.0.0.1', port: bind.port, keyName: bind.keyName, algorithm: 'hmac-sha256', secret: '<hidden>' });
      expect(JSON.stringify(added.body)).not.toContain(bind.secret);
      // The probe record is gone again.
      expect(await bind.query('_berth-verify.dns.test')).toEqual([]);

      const got = await app.api.get('/api/v1/domains/dns.test').set(auth()).expect(200);
      await app.api.put('/api/v1/domains/dns.test').set(auth()).send({ provider: 'rfc2136', config: got.body.config }).expect(204);
      const stored = await app.berth.store.domains.get((await app.berth.store.instances.findDefault())!.id, 'dns.test');
      expect(stored!.config.secret).toBe(bind.secret);

      const events = JSON.stringify((await app.api.get('/api/v1/eventlog?per_page=100').set(auth()).expect(200)).body);
      expect(events).not.toContain(bind.secret);
    });

    it('answers 400 with the server reason for a wrong key, and quickly for an unreachable server', async () => {
      const add = (config: Record<string, unknown>) =>
        app.api.post('/api/v1/domains').set(auth()).send({ domain: 'bad.dns.test', zoneName: 'dns.test', provider: 'rfc2136', config });
      const wrongSecret = await add({ ...bind.config, secret: Buffer.alloc(32, 7).toString('base64') }).expect(400);
      expect(wrongSecret.body.message).toMatch(/BADSIG/);
      const wrongName = await add({ ...bind.config, keyName: 'someone-else' }).expect(400);
      expect(wrongName.body.message).toMatch(/BADKEY/);
      const closed = await add({ ...bind.config, port: 1 }).expect(400);
      expect(closed.body.message).toMatch(/could not be reached/);
      expect(closed.body.message).not.toContain(bind.secret);
      for (const config of [{ ...bind.config, server: 'dns.example' }, { ...bind.config, secret: 'not base64!' }, { ...bind.config, algorithm: 'rot13' }, { ...bind.config, port: 70000 }]) {
        expect((await add(config).expect(400)).body.code).toBe('VALIDATION_ERROR');
      }
      await app.api.get('/api/v1/domains/bad.dns.test').set(auth()).expect(404);
    });

    it('dns_check asks the DNS: free names need no overwrite, a foreign record does', async () => {
      const free = await app.api.get('/api/v1/domains/dns.test/dns_check?subdomain=free').set(auth()).expect(200);
      expect(free.body).toEqual({ fqdn: 'free.dns.test', ip: '127.0.0.1', records: [], needsOverwrite: false });
      const taken = await app.api.get('/api/v1/domains/dns.test/dns_check?subdomain=taken').set(auth()).expect(200);
      expect(taken.body).toMatchObject({ records: ['10.9.9.9'], needsOverwrite: true });
      await app.api.get('/api/v1/domains/dns.test/dns_check?subdomain=bad_label').set(auth()).expect(400);
      await app.api.get('/api/v1/domains/nowhere.test/dns_check').set(auth()).expect(404);
    });
  });
});
