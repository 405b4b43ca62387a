import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { OpensslFallbackCertificates } from '../../services/domains/fallback-cert';
import { activate, bearer, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, installAndWait, removeEngineObjects, testManifest } from '../helpers/apps';
import { startBind, type TestBind } from '../helpers/bind';
import { proxyGet, startNginx, untilServed, type TestNginx } from '../helpers/nginx';
import { freePort } from '../helpers/processes';

jest.setTimeout(180_000);

const ZONE = 'setup.test';
const BOX_IP = '192.0.2.10';

/**
 * First-run setup against a real BIND (rfc2136) and a real nginx: the task writes my.<domain>'s A record and
 * publishes the dashboard, which nginx then serves over HTTPS (SNI) from Berth's own listener.
 */
describe('dashboard setup', () => {
  let app: TestApp;
  let bind: TestBind;
  let nginx: TestNginx;
  let listener: http.Server;
  const setupBody = (config: Record<string, unknown>) => ({
    dnsConfig: { provider: 'rfc2136', domain: ZONE, config, tlsConfig: { provider: 'fallback' } },
    sysinfoConfig: { provider: 'fixed', ip: BOX_IP },
  });

  beforeAll(async () => {
    bind = await startBind(ZONE);
    nginx = await startNginx();
    const port = await freePort();
    app = await startTestApp({ env: { ...APPS_ENV, ...nginx.env, BERTH_PORT: String(port), BERTH_HOST: '127.0.0.1' }, workers: true });
    // Berth's own HTTP listener, which the dashboard's nginx site proxies to.
    listener = http.createServer(app.berth.http);
    await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    listener?.closeAllConnections();
    await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
    if (app) {
      await removeEngineObjects(app);
      await app.close();
    }
    await nginx?.stop();
    await bind?.stop();
  });

  const status = async () => (await app.api.get('/api/v1/cloudron/status').expect(200)).body;
  const settled = () => untilServed(status, (s) => !s.setup.active);
  const instanceId = async () => (await app.berth.store.instances.findDefault())!.id;

  it('refuses a TSIG key the server rejects: 400, the reason in status, nothing stored', async () => {
    const res = await app.api.post('/api/v1/cloudron/setup').send(setupBody({ ...bind.config, secret: Buffer.alloc(32, 7).toString('base64') })).expect(400);
    expect(res.body.message).toMatch(/TSIG|NOTAUTH|refused|BADSIG/i);
    expect(await status()).toMatchObject({ adminFqdn: '', setup: { active: false, errorMessage: res.body.message } });
    expect(await app.berth.store.domains.get(await instanceId(), ZONE)).toBeUndefined();
    expect(await bind.query(`my.${ZONE}`)).toEqual([]);
  });

  it('reports a failed step in status, and a retry finishes the setup', async () => {
    // Something else broke nginx's configuration: the proxy step fails, after the DNS step.
    const broken = path.join(nginx.sitesDir, 'zz-broken.conf');
    fs.writeFileSync(broken, 'this is not nginx;\n');
    try {
      await app.api.post('/api/v1/cloudron/setup').send(setupBody(bind.config)).expect(200);
      const failed = await settled();
      expect(failed.setup.errorMessage).toMatch(/nginx refused the configuration \(rolled back\)/);
      expect(failed.adminFqdn).toBe('');
    } finally {
      fs.rmSync(broken, { force: true });
    }

    const started = await app.api.post('/api/v1/cloudron/setup').send(setupBody(bind.config)).expect(200);
    expect(started.body.taskId).toEqual(expect.any(Number));
    const done = await settled();
    expect(done).toMatchObject({ adminFqdn: `my.${ZONE}`, setup: { active: false, errorMessage: null, message: `Dashboard ready at https://my.${ZONE}` } });
  });

  it('points my.<domain> at the box in BIND and serves the dashboard through nginx', async () => {
    expect(await bind.query(`my.${ZONE}`)).toEqual([BOX_IP]);
    const domain = (await app.berth.store.domains.get(await instanceId(), ZONE))!;
    const ca = domain.fallbackCertificate.cert;
    const res = await untilServed(() => proxyGet(nginx, `my.${ZONE}`, '/api/v1/cloudron/status', { tls: true, ca }), (r) => r.status === 200);
    expect(JSON.parse(res.body)).toMatchObject({ adminFqdn: `my.${ZONE}`, activated: false });
    expect(res.fingerprint256).toBe(new X509Certificate(ca).fingerprint256);
    const plain = await proxyGet(nginx, `my.${ZONE}`, '/api/v1/cloudron/status', { tls: false });
    expect(plain.status).toBe(301);
  });

  it('refuses setup once the box is activated', async () => {
    const { token } = await activate(app);
    const res = await app.api.post('/api/v1/cloudron/setup').send(setupBody(bind.config)).expect(409);
    expect(res.body.code).toBe('ALREADY_ACTIVATED');
    // The dashboard domain is one of the tenant's domains, its secret hidden.
    const domain = await app.api.get(`/api/v1/domains/${ZONE}`).set(bearer(token)).expect(200);
    expect(domain.body.config.secret).toBe('<hidden>');
  });

  describe('a change of the domain', () => {
    let token: string;
    let other: TestBind | undefined;
    const hidden = (config: Record<string, unknown>) => ({ ...config, secret: '<hidden>' });
    /** The newest syncDomain task, once it has ended. */
    const synced = async () => {
      const [task] = (await app.api.get('/api/v1/tasks?type=syncDomain').set(bearer(token)).expect(200)).body.tasks;
      return waitForTask(app, token, task.id);
    };

    beforeAll(async () => {
      ({ token } = await app.api.post('/api/v1/cloudron/login').send({ username: 'oksana', password: 'strongPa55word!?' }).expect(200).then((r) => r.body));
      await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'web', domain: ZONE });
    });
    afterAll(() => other?.stop());

    it('publishes the apps and the dashboard again with a new fallback certificate', async () => {
      const before = (await app.berth.store.domains.get(await instanceId(), ZONE))!.fallbackCertificate.cert;
      await untilServed(() => proxyGet(nginx, `web.${ZONE}`, '/version', { tls: true, ca: before }), (r) => r.status === 200);

      const pair = await new OpensslFallbackCertificates().create(ZONE);
      await app.api
        .put(`/api/v1/domains/${ZONE}`)
        .set(bearer(token))
        .send({ provider: 'rfc2136', config: hidden(bind.config), tlsConfig: { provider: 'fallback' }, fallbackCertificate: pair })
        .expect(204);
      const task = await synced();
      expect(task).toMatchObject({ success: true, result: { apps: [`web.${ZONE}`], failed: [], dashboard: true } });

      const fingerprint = new X509Certificate(pair.cert).fingerprint256;
      const appRes = await untilServed(() => proxyGet(nginx, `web.${ZONE}`, '/version', { tls: true, ca: pair.cert }), (r) => r.status === 200);
      expect(appRes.fingerprint256).toBe(fingerprint);
      expect(appRes.body.trim()).toBe('v1');
      const dashboard = await untilServed(() => proxyGet(nginx, `my.${ZONE}`, '/api/v1/cloudron/status', { tls: true, ca: pair.cert }), (r) => r.status === 200);
      expect(dashboard.fingerprint256).toBe(fingerprint);
    });

    it('writes the records of the apps and the dashboard through the new DNS server', async () => {
      other = await startBind(ZONE);
      expect(await other.query(`web.${ZONE}`)).toEqual([]);
      await app.api.put(`/api/v1/domains/${ZONE}`).set(bearer(token)).send({ provider: 'rfc2136', config: other.config, tlsConfig: { provider: 'fallback' } }).expect(204);
      expect(await synced()).toMatchObject({ success: true, result: { apps: [`web.${ZONE}`], dashboard: true } });
      expect(await other.query(`web.${ZONE}`)).toEqual([BOX_IP]);
      expect(await other.query(`my.${ZONE}`)).toEqual([BOX_IP]);
    });

    it('starts no task when nothing the names are served with changed', async () => {
      const before = (await app.api.get('/api/v1/tasks?type=syncDomain').set(bearer(token)).expect(200)).body.tasks.length;
      await app.api.put(`/api/v1/domains/${ZONE}`).set(bearer(token)).send({ provider: 'rfc2136', config: hidden(other!.config), tlsConfig: { provider: 'fallback' } }).expect(204);
      expect((await app.api.get('/api/v1/tasks?type=syncDomain').set(bearer(token)).expect(200)).body.tasks).toHaveLength(before);
    });

    it('serves the domain\'s well-known documents at its bare name, and takes them back', async () => {
      const cert = (await app.berth.store.domains.get(await instanceId(), ZONE))!.fallbackCertificate.cert;
      const server = JSON.stringify({ 'm.server': `matrix.${ZONE}:443`, note: "it's $host, \\ \"quoted\"" });
      const body = { provider: 'rfc2136', config: hidden(other!.config), tlsConfig: { provider: 'fallback' } };
      await app.api.put(`/api/v1/domains/${ZONE}`).set(bearer(token)).send({ ...body, wellKnown: { 'matrix/server': server, 'host-meta': '<XRD/>' } }).expect(204);
      expect(await synced()).toMatchObject({ success: true });
      const res = await untilServed(() => proxyGet(nginx, ZONE, '/.well-known/matrix/server', { tls: true, ca: cert }), (r) => r.status === 200);
      expect(res.body).toBe(server);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect((await proxyGet(nginx, ZONE, '/.well-known/host-meta', { tls: true, ca: cert })).body).toBe('<XRD/>');
      expect((await proxyGet(nginx, ZONE, '/.well-known/other', { tls: true, ca: cert })).status).toBe(404);

      const bad = await app.api.put(`/api/v1/domains/${ZONE}`).set(bearer(token)).send({ ...body, wellKnown: { '../etc/passwd': 'x' } }).expect(400);
      expect(bad.body.message).toMatch(/wellKnown: "..\/etc\/passwd" is not a path/);

      await app.api.put(`/api/v1/domains/${ZONE}`).set(bearer(token)).send({ ...body, wellKnown: null }).expect(204);
      expect(await synced()).toMatchObject({ success: true });
      // Without a site for the bare name, nginx's default server answers plain HTTP with 404 instead of a redirect.
      await untilServed(() => proxyGet(nginx, ZONE, '/.well-known/matrix/server', { tls: false }), (r) => r.status === 404);
      expect(fs.existsSync(path.join(nginx.sitesDir, `wellknown-${ZONE}.conf`))).toBe(false);
    });
  });
});
