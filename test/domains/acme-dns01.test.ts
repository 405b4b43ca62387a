import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activate, bearer, startTestApp, waitForTask, type TestApp, createTask } from '../helpers/app';
import { APPS_ENV, installAndWait, removeEngineObjects, testManifest } from '../helpers/apps';
import { startBind, type TestBind } from '../helpers/bind';
import { proxyGet, startNginx, untilServed, type TestNginx } from '../helpers/nginx';
import { startPebble, type TestPebble } from '../helpers/pebble';

jest.setTimeout(240_000);

/**
 * Wildcard certificates end to end: Berth writes the DNS-01 TXT records into a real BIND through the rfc2136
 * provider, a real Pebble (whose -dnsserver is that BIND) validates them, and a real nginx serves the result.
 * A second Pebble asks a BIND that never gets the records: a CA that rejects the challenge.
 */
describe('wildcard certificates (DNS-01)', () => {
  let app: TestApp;
  let nginx: TestNginx;
  let bind: TestBind;
  let emptyBind: TestBind;
  let pebble: TestPebble;
  let blindPebble: TestPebble;
  let token: string;
  let caDir: string;
  const auth = () => bearer(token);
  const logOf = async (taskId: number) => (await app.api.get(`/api/v1/tasks/${taskId}/logs`).set(auth()).expect(200)).text;
  const wildcardDomain = (domain: string, directoryUrl: string, extra: Record<string, unknown> = {}) => ({
    domain, zoneName: 'wild.test', provider: 'rfc2136', config: bind.config, tlsConfig: { provider: 'acme', acmeDirectoryUrl: directoryUrl, wildcard: true }, ...extra,
  });
  const serial = (pem: string | Buffer) => new X509Certificate(pem).serialNumber;

  beforeAll(async () => {
    nginx = await startNginx();
    bind = await startBind('wild.test', [], { refuseTxt: ['_acme-challenge.refused.wild.test'] });
    emptyBind = await startBind('wild.test');
    pebble = await startPebble({ httpPort: nginx.httpPort, dnsServer: `127.0.0.1:${bind.port}` });
    blindPebble = await startPebble({ httpPort: nginx.httpPort, dnsServer: `127.0.0.1:${emptyBind.port}` });
    // Each Pebble serves its API with its own certificate: Berth trusts both.
    caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-dns01-'));
    const caFile = path.join(caDir, 'pebbles.pem');
    fs.writeFileSync(caFile, fs.readFileSync(pebble.caFile, 'utf8') + fs.readFileSync(blindPebble.caFile, 'utf8'));
    app = await startTestApp({
      env: {
        ...APPS_ENV, ...nginx.env, BERTH_ACME: 'on', BERTH_ACME_CA_FILE: caFile, BERTH_ACME_TIMEOUT_SECS: '10',
        BERTH_DNS_SERVERS: `127.0.0.1:${bind.port}`, BERTH_ACME_DNS_WAIT_SECS: '20',
      },
      workers: true,
    });
    ({ token } = await activate(app));
  });

  afterAll(async () => {
    if (app) {
      await removeEngineObjects(app);
      await app.close();
    }
    await blindPebble?.stop();
    await pebble?.stop();
    await emptyBind?.stop();
    await bind?.stop();
    await nginx?.stop();
    if (caDir) fs.rmSync(caDir, { recursive: true, force: true });
  });

  it('refuses wildcard with a provider that cannot write records, or without an ACME CA', async () => {
    for (const provider of ['manual', 'noop', 'wildcard']) {
      const res = await app.api.post('/api/v1/domains').set(auth())
        .send({ domain: 'passive.test', provider, config: {}, tlsConfig: { provider: 'acme', acmeDirectoryUrl: pebble.directoryUrl, wildcard: true } })
        .expect(400);
      expect(res.body.message).toMatch(new RegExp(`tlsConfig.wildcard needs a DNS provider that writes records .*${provider} does not`));
    }
    const fallback = await app.api.post('/api/v1/domains').set(auth())
      .send({ domain: 'passive.wild.test', provider: 'rfc2136', config: bind.config, zoneName: 'wild.test', tlsConfig: { provider: 'fallback', wildcard: true } })
      .expect(400);
    expect(fallback.body.message).toMatch(/tlsConfig.wildcard needs certificates from an ACME CA/);
    await app.api.get('/api/v1/domains/passive.test').set(auth()).expect(404);
    await app.api.get('/api/v1/domains/passive.wild.test').set(auth()).expect(404);

    // Changing a wildcard domain to a passive provider is refused too, and the stored domain stays as it was.
    await app.api.post('/api/v1/domains').set(auth()).send(wildcardDomain('keep.wild.test', pebble.directoryUrl)).expect(201);
    const update = await app.api.put('/api/v1/domains/keep.wild.test').set(auth()).send({ provider: 'manual', config: {} }).expect(400);
    expect(update.body.message).toMatch(/manual does not/);
    const kept = (await app.api.get('/api/v1/domains/keep.wild.test').set(auth()).expect(200)).body;
    expect(kept).toMatchObject({ provider: 'rfc2136', tlsConfig: { wildcard: true } });
    await app.api.delete('/api/v1/domains/keep.wild.test').set(auth()).expect(204);
  });

  it('issues one certificate for *.domain and domain through DNS-01, serves it, and removes the TXT record', async () => {
    await app.api.post('/api/v1/domains').set(auth()).send(wildcardDomain('wild.test', pebble.directoryUrl)).expect(201);
    const { taskId } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'app', domain: 'wild.test' });

    const log = await logOf(taskId);
    // *.wild.test and wild.test are two authorisations answered at one name: the record held both values at once.
    expect(log).toMatch(/TXT record _acme-challenge\.wild\.test written through rfc2136 \(2 value\(s\)\)/);
    expect(log).toMatch(/the DNS resolvers see the TXT records/);
    expect(log).toMatch(/certificate for \*\.wild\.test issued by https:\/\/127\.0\.0\.1/);
    expect(log).toMatch(/TXT record _acme-challenge\.wild\.test removed/);
    expect(await bind.txt('_acme-challenge.wild.test')).toEqual([]);

    const domain = (await app.api.get('/api/v1/domains/wild.test').set(auth()).expect(200)).body;
    expect(domain.certificates).toEqual([{ fqdn: '*.wild.test', issuer: expect.stringMatching(/Pebble Intermediate/), notAfter: expect.any(String) }]);
    expect(JSON.stringify(domain)).not.toMatch(/PRIVATE KEY/);

    // nginx serves it over SNI for app.wild.test: Pebble's intermediate signed it, for the wildcard and the domain.
    const root = await pebble.root();
    const res = await untilServed(() => proxyGet(nginx, 'app.wild.test', '/version', { tls: true, ca: root }), (r) => r.status === 200);
    expect(res.body.trim()).toBe('v1');
    const served = new X509Certificate(res.peerCertificate!);
    expect(served.subjectAltName).toContain('DNS:*.wild.test');
    expect(served.subjectAltName).toContain('DNS:wild.test');
    expect(served.checkHost('app.wild.test')).toBe('*.wild.test');
    expect(served.verify(new X509Certificate(await pebble.intermediate()).publicKey)).toBe(true);

    // A second app under the domain is served with the same certificate: no new order.
    const second = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'other', domain: 'wild.test' });
    expect(await logOf(second.taskId)).not.toMatch(/issued|TXT record/);
    const other = await untilServed(() => proxyGet(nginx, 'other.wild.test', '/version', { tls: true, ca: root }), (r) => r.status === 200);
    expect(serial(other.peerCertificate!)).toBe(served.serialNumber);
    const events = (await app.api.get('/api/v1/eventlog?action=certificate.issue').set(auth()).expect(200)).body.eventlogs;
    expect(events.filter((e: { target: string }) => e.target === '*.wild.test')).toHaveLength(1);
    expect((await app.api.get('/api/v1/domains/wild.test').set(auth()).expect(200)).body.certificates).toHaveLength(1);
  });

  it('renewcerts re-issues the wildcard certificate and every app of the domain is served the new one', async () => {
    const root = await pebble.root();
    const before = await untilServed(() => proxyGet(nginx, 'other.wild.test', '/version', { tls: true, ca: root }), (r) => r.status === 200);
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    await app.berth.db('certificates').where({ fqdn: '*.wild.test' }).update({ not_after: soon });
    const instanceId = (await app.berth.db('instances').first('id')).id as string;

    const task = await createTask(app.berth, { instanceId, type: 'renewcerts', args: { instanceId }, objectKey: `certificates:${instanceId}` });
    const done = await waitForTask(app, token, task.id);
    const log = await logOf(task.id);
    expect(done).toMatchObject({ success: true, result: { renewed: ['*.wild.test'], failed: [] } });
    // Through the first app only: the second shares the certificate's files, which the reload covers.
    expect(log.match(/renewing \*\.wild\.test/g)).toHaveLength(1);
    expect(log.match(/certificate for \*\.wild\.test issued/g)).toHaveLength(1);

    const row = await app.berth.db('certificates').where({ fqdn: '*.wild.test' }).first();
    expect(Date.parse(row.not_after)).toBeGreaterThan(Date.now() + 30 * 86_400_000);
    expect(serial(row.cert_pem)).not.toBe(serial(before.peerCertificate!));
    for (const host of ['app.wild.test', 'other.wild.test']) {
      const res = await untilServed(() => proxyGet(nginx, host, '/version', { tls: true, ca: root }), (r) => r.status === 200 && r.fingerprint256 !== before.fingerprint256);
      expect(serial(res.peerCertificate!)).toBe(serial(row.cert_pem));
    }
    expect(await bind.txt('_acme-challenge.wild.test')).toEqual([]);
  });

  it('a renewal the CA rejects leaves the old wildcard certificate served until it expires', async () => {
    const root = await pebble.root();
    const before = await untilServed(() => proxyGet(nginx, 'app.wild.test', '/version', { tls: true, ca: root }), (r) => r.status === 200);
    await app.berth.db('certificates').where({ fqdn: '*.wild.test' }).update({ not_after: new Date(Date.now() + 10 * 86_400_000).toISOString() });
    // The domain now asks a CA that never sees the TXT records.
    await app.api.put('/api/v1/domains/wild.test').set(auth())
      .send({ ...wildcardDomain('wild.test', blindPebble.directoryUrl), domain: undefined, config: { ...bind.config, secret: '<hidden>' } })
      .expect(204);
    // The TLS change republishes the domain's apps (syncDomain), which already tries the renewal once.
    const [sync] = (await app.api.get('/api/v1/tasks?type=syncDomain').set(auth()).expect(200)).body.tasks;
    expect(await waitForTask(app, token, sync.id)).toMatchObject({ success: true });
    const instanceId = (await app.berth.db('instances').first('id')).id as string;

    const task = await createTask(app.berth, { instanceId, type: 'renewcerts', args: { instanceId }, objectKey: `certificates:${instanceId}` });
    expect(await waitForTask(app, token, task.id)).toMatchObject({ success: true, result: { renewed: [], failed: ['*.wild.test'] } });
    expect(await logOf(task.id)).toMatch(/no certificate from https:\/\/127\.0\.0\.1:\d+\/dir for \*\.wild\.test \(.+\); the current certificate is served until it expires/);
    expect(await bind.txt('_acme-challenge.wild.test')).toEqual([]);
    const events = (await app.api.get('/api/v1/eventlog?action=certificate.renewal_failed').set(auth()).expect(200)).body.eventlogs;
    // The republish tries once per app it publishes (two here), renewcerts once more: all of the wildcard certificate.
    expect(events.map((e: { target: string }) => e.target)).toEqual(['*.wild.test', '*.wild.test', '*.wild.test']);
    for (const host of ['app.wild.test', 'other.wild.test']) {
      const res = await proxyGet(nginx, host, '/version', { tls: true, ca: root });
      expect(res.status).toBe(200);
      expect(res.fingerprint256).toBe(before.fingerprint256);
    }
  });

  it('falls back when the DNS server refuses the TXT record, and says so', async () => {
    await app.api.post('/api/v1/domains').set(auth()).send(wildcardDomain('refused.wild.test', pebble.directoryUrl)).expect(201);
    const { taskId } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'app', domain: 'refused.wild.test' });

    const log = await logOf(taskId);
    expect(log).toMatch(/no certificate from https:\/\/127\.0\.0\.1:\d+\/dir for \*\.refused\.wild\.test \(The DNS server 127\.0\.0\.1:\d+ refused the update: .*REFUSED.*\); serving the fallback certificate/);
    await expectFallback('refused.wild.test', /REFUSED/);
  });

  it('falls back when the CA rejects the challenge, and removes the TXT record', async () => {
    await app.api.post('/api/v1/domains').set(auth()).send(wildcardDomain('rejected.wild.test', blindPebble.directoryUrl)).expect(201);
    const { taskId } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'app', domain: 'rejected.wild.test' });

    const log = await logOf(taskId);
    expect(log).toMatch(/TXT record _acme-challenge\.rejected\.wild\.test written through rfc2136/);
    expect(log).toMatch(/no certificate from https:\/\/127\.0\.0\.1:\d+\/dir for \*\.rejected\.wild\.test \(.+\); serving the fallback certificate/);
    expect(log).toMatch(/TXT record _acme-challenge\.rejected\.wild\.test removed/);
    expect(await bind.txt('_acme-challenge.rejected.wild.test')).toEqual([]);
    await expectFallback('rejected.wild.test', /.+/);
  });

  /** The app's name is served with the domain's fallback certificate; the audit log names the reason. */
  async function expectFallback(domainName: string, reason: RegExp) {
    const domain = (await app.api.get(`/api/v1/domains/${domainName}`).set(auth()).expect(200)).body;
    expect(domain.certificates).toEqual([]);
    const res = await untilServed(() => proxyGet(nginx, `app.${domainName}`, '/version', { tls: true, ca: domain.fallbackCertificate.cert }), (r) => r.status === 200);
    expect(res.fingerprint256).toBe(new X509Certificate(domain.fallbackCertificate.cert).fingerprint256);
    const events = (await app.api.get('/api/v1/eventlog?action=certificate.fallback').set(auth()).expect(200)).body.eventlogs;
    const event = events.find((e: { target: string }) => e.target === `*.${domainName}`);
    expect(event).toBeDefined();
    expect(event.data.errorMessage).toMatch(reason);
  }
});
