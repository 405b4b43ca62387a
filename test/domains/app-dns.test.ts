import { bearer, OWNER, startTestApp, type TestApp } from '../helpers/app';
import { APPS_ENV, installAndWait, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';
import { startBind, type TestBind } from '../helpers/bind';

jest.setTimeout(120_000);

/** Apps' A records written through a real BIND by the app tasks, pointing at the tenant's fixed address. */
describe('app DNS records through rfc2136', () => {
  let app: TestApp;
  let bind: TestBind;
  let token: string;
  const BOX_IP = '192.0.2.10';
  const auth = () => bearer(token);

  beforeAll(async () => {
    bind = await startBind('appdns.test', ['foreign IN A 10.1.1.1', 'my.tenant IN A 127.0.0.1']);
    app = await startTestApp({ env: { ...APPS_ENV, BERTH_DNS_SERVERS: `127.0.0.1:${bind.port}` }, workers: true });
    // The setup's fixed sysinfo address is what records point at; setup adds the domain, as Cloudron's does.
    await app.api.post('/api/v1/cloudron/setup')
      .send({ dnsConfig: { provider: 'rfc2136', domain: 'appdns.test', config: bind.config }, sysinfoConfig: { provider: 'fixed', ip: BOX_IP } })
      .expect(200);
    token = (await app.api.post('/api/v1/cloudron/activate').send(OWNER).expect(201)).body.token;
  });

  afterAll(async () => {
    if (app) {
      await removeEngineObjects(app);
      await app.close();
    }
    await bind?.stop();
  });

  const configure = (id: string, body: Record<string, unknown>) => app.api.post(`/api/v1/apps/${id}/configure`).set(auth()).send(body);

  it('install writes the A record, configure moves it, uninstall removes it; the domain cannot go while used', async () => {
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'web', domain: 'appdns.test' });
    expect(await bind.query('web.appdns.test')).toEqual([BOX_IP]);
    const check = await app.api.get('/api/v1/domains/appdns.test/dns_check?subdomain=web').set(auth()).expect(200);
    expect(check.body).toEqual({ fqdn: 'web.appdns.test', ip: BOX_IP, records: [BOX_IP], needsOverwrite: false });

    const removal = await app.api.delete('/api/v1/domains/appdns.test').set(auth()).expect(409);
    expect(removal.body.message).toMatch(/web\.appdns\.test/);

    // A new location and an alternate name: the old record goes, the new ones come.
    const moved = await configure(id, { location: 'moved', alternateDomains: [{ domain: 'appdns.test', subdomain: 'alias' }] }).expect(202);
    expect(moved.body.taskId).toEqual(expect.any(Number));
    expect((await waitForApp(app, token, id)).installationState).toBe('installed');
    expect(await bind.query('web.appdns.test')).toEqual([]);
    expect(await bind.query('moved.appdns.test')).toEqual([BOX_IP]);
    expect(await bind.query('alias.appdns.test')).toEqual([BOX_IP]);

    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(auth()).expect(202);
    for (;;) {
      if ((await app.api.get(`/api/v1/apps/${id}`).set(auth())).status === 404) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await bind.query('moved.appdns.test')).toEqual([]);
    expect(await bind.query('alias.appdns.test')).toEqual([]);
  });

  it('does not overwrite a record Berth did not write unless asked (409 before any task)', async () => {
    const tasksBefore = (await app.api.get('/api/v1/tasks?per_page=1000').set(auth()).expect(200)).body.tasks.length;
    const refused = await app.api.post('/api/v1/apps/install').set(auth())
      .send({ manifest: testManifest('web:1'), location: 'foreign', domain: 'appdns.test', accessRestriction: null })
      .expect(409);
    expect(refused.body).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/foreign\.appdns\.test.*10\.1\.1\.1.*overwriteDns/) });
    expect((await app.api.get('/api/v1/tasks?per_page=1000').set(auth()).expect(200)).body.tasks.length).toBe(tasksBefore);
    expect(await bind.query('foreign.appdns.test')).toEqual(['10.1.1.1']);

    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'foreign', domain: 'appdns.test', overwriteDns: true });
    expect(await bind.query('foreign.appdns.test')).toEqual([BOX_IP]);

    // Moving away takes back the record the app overwrote.
    await configure(id, { location: 'web2' }).expect(202);
    expect((await waitForApp(app, token, id)).installationState).toBe('installed');
    expect(await bind.query('foreign.appdns.test')).toEqual([]);
    expect(await bind.query('web2.appdns.test')).toEqual([BOX_IP]);
  });

  it('deleting a tenant removes its apps\' records', async () => {
    const ADMIN = { Authorization: `Basic ${Buffer.from('admin:app dns passphrase').toString('base64')}` };
    await app.berth.admin.passphrase.set('app dns passphrase');
    await app.admin.post('/instances').set(ADMIN).send({ domain: 'tenant.appdns.test', email: 'owner@tenant.appdns.test' }).expect(201);
    const tenantToken = (await app.admin.post('/instances/tenant.appdns.test/token').set(ADMIN).send({ expires_in: 3600 }).expect(201)).body.token as string;
    // Tenants' domains are their own: the other tenant's domain is not there for this one.
    await app.api.get('/api/v1/domains/appdns.test').set(bearer(tenantToken)).expect(404);
    await app.api.post('/api/v1/domains').set(bearer(tenantToken))
      .send({ domain: 'appdns.test', provider: 'noop', config: {} })
      .expect(409);
    await app.api.post('/api/v1/domains').set(bearer(tenantToken))
      .send({ domain: 'tenant.appdns.test', zoneName: 'appdns.test', provider: 'rfc2136', config: bind.config })
      .expect(201);
    await installAndWait(app, tenantToken, { manifest: testManifest('web:1'), location: 'shop', domain: 'tenant.appdns.test' });
    expect(await bind.query('shop.tenant.appdns.test')).toEqual(['127.0.0.1']);
    // The tenant's dashboard record (made by setup on a box of its own; here already in the zone) goes too.
    const tenantId = (await app.berth.store.instances.findByDomains(['tenant.appdns.test']))!.id;
    await app.berth.store.dnsRecords.save({
      instanceId: tenantId, appId: `dashboard-${tenantId}`, domain: 'tenant.appdns.test', fqdn: 'my.tenant.appdns.test', type: 'A', value: '127.0.0.1', createdAt: new Date().toISOString(),
    });

    await app.admin.delete('/instances/tenant.appdns.test').set(ADMIN).expect(202);
    for (;;) {
      if ((await app.admin.get('/instances/tenant.appdns.test').set(ADMIN)).status === 404) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await bind.query('shop.tenant.appdns.test')).toEqual([]);
    expect(await bind.query('my.tenant.appdns.test')).toEqual([]);
  });

  it('a DNS server that is down does not keep an app from starting again; a new install needs it', async () => {
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'resilient', domain: 'appdns.test' });
    const instanceId = (await app.berth.store.instances.findDefault())!.id;
    const domain = (await app.berth.store.domains.get(instanceId, 'appdns.test'))!;
    await app.berth.store.domains.update({ ...domain, config: { ...domain.config, port: 1 } });
    try {
      await app.api.post(`/api/v1/apps/${id}/stop`).set(auth()).expect(202);
      expect((await waitForApp(app, token, id)).runState).toBe('stopped');
      const started = await app.api.post(`/api/v1/apps/${id}/start`).set(auth()).expect(202);
      expect(await waitForApp(app, token, id)).toMatchObject({ installationState: 'installed', runState: 'running' });
      const log = await app.api.get(`/api/v1/tasks/${started.body.taskId}/logs`).set(auth()).expect(200);
      expect(log.text).toMatch(/DNS records not refreshed \(The DNS server 127\.0\.0\.1:1 could not be reached/);

      const refused = await app.api.post('/api/v1/apps/install').set(auth())
        .send({ manifest: testManifest('web:1'), location: 'later', domain: 'appdns.test', accessRestriction: null });
      expect(refused.status).toBe(400);
      expect(refused.body.message).toMatch(/could not be reached/);
    } finally {
      await app.berth.store.domains.update(domain);
    }
  });
});
