import { X509Certificate } from 'node:crypto';
import { activate, bearer, startTestApp, waitForTask, type TestApp, createTask } from '../helpers/app';
import { addDomain, APPS_ENV, installAndWait, removeEngineObjects, testManifest } from '../helpers/apps';
import { startBind, type TestBind } from '../helpers/bind';
import { proxyGet, startNginx, untilServed, type TestNginx } from '../helpers/nginx';
import { startPebble, type TestPebble } from '../helpers/pebble';
import { freePort } from '../helpers/processes';

jest.setTimeout(180_000);

/**
 * ACME end to end: a real Pebble resolves the app's name through a real BIND (A record → 127.0.0.1) and
 * validates the HTTP-01 challenge by fetching it from the test's nginx, which Berth configured.
 */
describe('ACME certificates', () => {
  let app: TestApp;
  let nginx: TestNginx;
  let bind: TestBind;
  let pebble: TestPebble;
  let token: string;
  const auth = () => bearer(token);

  beforeAll(async () => {
    nginx = await startNginx();
    bind = await startBind('acme.test', ['web IN A 127.0.0.1', 'renew IN A 127.0.0.1']);
    pebble = await startPebble({ httpPort: nginx.httpPort, dnsServer: `127.0.0.1:${bind.port}` });
    app = await startTestApp({ env: { ...APPS_ENV, ...nginx.env, BERTH_ACME: 'on', BERTH_ACME_CA_FILE: pebble.caFile, BERTH_ACME_TIMEOUT_SECS: '10' }, workers: true });
    ({ token } = await activate(app));
  });

  afterAll(async () => {
    if (app) {
      await removeEngineObjects(app);
      await app.close();
    }
    await pebble?.stop();
    await bind?.stop();
    await nginx?.stop();
  });


  it('issues a certificate from the CA, serves it, shows its expiry and never the key', async () => {
    await addDomain(app, token, 'acme.test', { tlsConfig: { provider: 'acme', acmeDirectoryUrl: pebble.directoryUrl } });
    const { id, taskId } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'web', domain: 'acme.test' });

    const log = (await app.api.get(`/api/v1/tasks/${taskId}/logs`).set(auth()).expect(200)).text;
    expect(log).toMatch(/certificate for web\.acme\.test issued by https:\/\/127\.0\.0\.1/);

    const domain = (await app.api.get('/api/v1/domains/acme.test').set(auth()).expect(200)).body;
    expect(domain.tlsConfig).toEqual({ provider: 'acme', wildcard: false, acmeDirectoryUrl: pebble.directoryUrl });
    expect(domain.certificates).toEqual([{ fqdn: 'web.acme.test', issuer: expect.stringMatching(/Pebble Intermediate/), notAfter: expect.any(String) }]);
    expect(Date.parse(domain.certificates[0].notAfter)).toBeGreaterThan(Date.now() + 30 * 86_400_000);
    expect(JSON.stringify(domain)).not.toMatch(/PRIVATE KEY/);

    // What nginx serves for the app's name chains to Pebble's root, through its intermediate.
    const root = await pebble.root();
    const res = await untilServed(() => proxyGet(nginx, 'web.acme.test', '/version', { tls: true, ca: root }), (r) => r.status === 200);
    expect(res.body.trim()).toBe('v1');
    expect(res.peerCertificate).toBeDefined();
    const served = new X509Certificate(res.peerCertificate!);
    expect(served.checkHost('web.acme.test')).toBe('web.acme.test');
    expect(served.verify(new X509Certificate(await pebble.intermediate()).publicKey)).toBe(true);

    const events = (await app.api.get('/api/v1/eventlog?action=certificate.issue').set(auth()).expect(200)).body.eventlogs;
    expect(events.map((e: { data?: { directoryUrl?: string } }) => e.data?.directoryUrl)).toContain(pebble.directoryUrl);
    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(auth()).expect(202);
  });

  it('installs with the fallback certificate when the ACME directory is unreachable, and says why', async () => {
    const closed = await freePort();
    await addDomain(app, token, 'down.test', { tlsConfig: { provider: 'acme', acmeDirectoryUrl: `https://127.0.0.1:${closed}/dir` } });
    const { taskId } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'web', domain: 'down.test' });

    const log = (await app.api.get(`/api/v1/tasks/${taskId}/logs`).set(auth()).expect(200)).text;
    expect(log).toMatch(/no certificate from https:\/\/127\.0\.0\.1:\d+\/dir for web\.down\.test \(.*ECONNREFUSED.*\); serving the fallback certificate/);
    const domain = (await app.api.get('/api/v1/domains/down.test').set(auth()).expect(200)).body;
    expect(domain.certificates).toEqual([]);
    const res = await untilServed(() => proxyGet(nginx, 'web.down.test', '/version', { tls: true, ca: domain.fallbackCertificate.cert }), (r) => r.status === 200);
    expect(res.fingerprint256).toBe(new X509Certificate(domain.fallbackCertificate.cert).fingerprint256);
    const events = (await app.api.get('/api/v1/eventlog?action=certificate.fallback').set(auth()).expect(200)).body.eventlogs;
    expect(events[0]).toMatchObject({ target: 'web.down.test' });
    expect(JSON.stringify(events[0])).toMatch(/ECONNREFUSED/);
  });

  it('renewcerts re-issues a certificate near its end and nginx serves the new one', async () => {
    await addDomain(app, token, 'acme.test', { tlsConfig: { provider: 'acme', acmeDirectoryUrl: pebble.directoryUrl } });
    const { taskId } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'renew', domain: 'acme.test' });
    expect((await app.api.get(`/api/v1/tasks/${taskId}/logs`).set(auth()).expect(200)).text).toMatch(/certificate for renew\.acme\.test issued/);
    const root = await pebble.root();
    const first = await untilServed(() => proxyGet(nginx, 'renew.acme.test', '/version', { tls: true, ca: root }), (r) => r.status === 200);
    // The certificate ages: ten days left (the CA is real, so time is moved in the row, not in Pebble).
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    await app.berth.db('certificates').where({ fqdn: 'renew.acme.test' }).update({ not_after: soon });
    const instanceId = (await app.berth.db('instances').first('id')).id as string;

    const task = await createTask(app.berth, { instanceId, type: 'renewcerts', args: { instanceId }, objectKey: `certificates:${instanceId}` });
    const done = await waitForTask(app, token, task.id);
    const log = (await app.api.get(`/api/v1/tasks/${task.id}/logs`).set(auth()).expect(200)).text;
    expect(log).toMatch(/issued/);
    expect(done).toMatchObject({ success: true, result: { renewed: ['renew.acme.test'], failed: [] } });
    expect(log).toMatch(/renewing renew\.acme\.test/);

    const row = await app.berth.db('certificates').where({ fqdn: 'renew.acme.test' }).first();
    expect(Date.parse(row.not_after)).toBeGreaterThan(Date.now() + 30 * 86_400_000);
    const served = await untilServed(() => proxyGet(nginx, 'renew.acme.test', '/version', { tls: true, ca: root }), (r) => r.status === 200 && r.fingerprint256 !== first.fingerprint256);
    expect(served.fingerprint256).toBe(new X509Certificate(row.cert_pem).fingerprint256);
  });
});
