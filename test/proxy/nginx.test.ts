import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';
import { addDomain, APPS_ENV, installAndWait, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';
import { proxyGet, startNginx, untilServed, type TestNginx } from '../helpers/nginx';

jest.setTimeout(120_000);

/** The reverse proxy against a real nginx: HTTPS with the domain's certificate reaches the app's container. */
describe('nginx reverse proxy', () => {
  let app: TestApp;
  let nginx: TestNginx;
  let token: string;
  let ca: string;
  const auth = () => bearer(token);

  beforeAll(async () => {
    nginx = await startNginx();
    app = await startTestApp({ env: { ...APPS_ENV, ...nginx.env }, workers: true });
    ({ token } = await activate(app));
    await addDomain(app, token, 'proxy.test');
    await addDomain(app, token, 'other-proxy.test');
    ca = (await app.api.get('/api/v1/domains/proxy.test').set(auth()).expect(200)).body.fallbackCertificate.cert;
  });

  afterAll(async () => {
    if (app) {
      await removeEngineObjects(app);
      await app.close();
    }
    await nginx?.stop();
  });


  it('serves the app over HTTPS at its fqdn and alternate names, redirects HTTP, and stops serving after uninstall', async () => {
    const { id } = await installAndWait(app, token, {
      manifest: testManifest('web:1'),
      location: 'web',
      domain: 'proxy.test',
      alternateDomains: [{ domain: 'other-proxy.test', subdomain: '' }],
    });
    const site = fs.readFileSync(path.join(nginx.sitesDir, `app-${id}.conf`), 'utf8');
    expect(site).toContain('server_name web.proxy.test;');

    const res = await untilServed(() => proxyGet(nginx, 'web.proxy.test', '/version', { tls: true, ca }), (r) => r.status === 200);
    expect(res.body.trim()).toBe('v1');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.fingerprint256).toBe(new X509Certificate(ca).fingerprint256);

    // The alternate name is served with its own domain's certificate.
    const otherCa = (await app.api.get('/api/v1/domains/other-proxy.test').set(auth()).expect(200)).body.fallbackCertificate.cert;
    const alt = await untilServed(() => proxyGet(nginx, 'other-proxy.test', '/version', { tls: true, ca: otherCa }), (r) => r.status === 200);
    expect(alt.body.trim()).toBe('v1');

    const plain = await proxyGet(nginx, 'web.proxy.test', '/version', { tls: false });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://web.proxy.test:${nginx.httpsPort}/version`);

    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(auth()).expect(202);
    await untilServed(() => app.api.get(`/api/v1/apps/${id}`).set(auth()).then((r) => r.status), (s) => s === 404);
    expect(fs.existsSync(path.join(nginx.sitesDir, `app-${id}.conf`))).toBe(false);
    await untilServed(() => proxyGet(nginx, 'web.proxy.test', '/version', { tls: false }), (r) => r.status === 404);
  });

  it('rolls a configuration nginx refuses back, and the task fails with nginx reason', async () => {
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'kept', domain: 'proxy.test' });
    const file = path.join(nginx.sitesDir, `app-${id}.conf`);
    const before = fs.readFileSync(file, 'utf8');
    // Something else broke nginx's configuration: Berth must not reload into it, nor leave its new file behind.
    const broken = path.join(nginx.sitesDir, 'zz-broken.conf');
    fs.writeFileSync(broken, 'this is not nginx;\n');
    try {
      await app.api.post(`/api/v1/apps/${id}/configure`).set(auth()).send({ location: 'renamed' }).expect(202);
      const failed = await waitForApp(app, token, id);
      expect(failed.installationState).toBe('error');
      expect(failed.error?.message).toMatch(/nginx refused the configuration \(rolled back\).*unknown directive "this"/);
      expect(fs.readFileSync(file, 'utf8')).toBe(before);
    } finally {
      fs.rmSync(broken, { force: true });
    }
    const served = await untilServed(() => proxyGet(nginx, 'kept.proxy.test', '/version', { tls: true, ca }), (r) => r.status === 200);
    expect(served.body.trim()).toBe('v1');
  });
});
