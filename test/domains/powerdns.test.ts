import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';
import { APPS_ENV, installAndWait, removeEngineObjects, testManifest } from '../helpers/apps';
import { startPowerDns, type TestPowerDns } from '../helpers/powerdns';

jest.setTimeout(120_000);

/** The powerdns provider against a real PowerDNS Authoritative with its HTTP API. */
describe('powerdns provider', () => {
  let app: TestApp;
  let pdns: TestPowerDns;
  let token: string;
  const auth = () => bearer(token);

  beforeAll(async () => {
    pdns = await startPowerDns('pdns.test');
    await pdns.setRecord('foreign.pdns.test', 'A', ['10.2.2.2']);
    app = await startTestApp({ env: { ...APPS_ENV, BERTH_DNS_TIMEOUT_SECS: '2' }, workers: true });
    ({ token } = await activate(app));
  });

  afterAll(async () => {
    if (app) {
      await removeEngineObjects(app);
      await app.close();
    }
    await pdns?.stop();
  });

  it('checks the key and the zone when the domain is added, and hides the key', async () => {
    const add = (body: Record<string, unknown>) => app.api.post('/api/v1/domains').set(auth()).send({ domain: 'pdns.test', provider: 'powerdns', ...body });
    const badKey = await add({ config: { ...pdns.config, apiKey: 'wrong' } }).expect(400);
    expect(badKey.body.message).toMatch(/refused the API key/);
    const noZone = await app.api.post('/api/v1/domains').set(auth()).send({ domain: 'elsewhere.test', provider: 'powerdns', config: pdns.config }).expect(400);
    expect(noZone.body.message).toMatch(/has no zone elsewhere\.test/);
    const down = await add({ config: { ...pdns.config, apiUrl: 'http://127.0.0.1:1' } }).expect(400);
    expect(down.body.message).toMatch(/could not be reached/);
    await add({ config: { apiUrl: 'ftp://x', apiKey: 'k' } }).expect(400);

    const added = await add({ config: pdns.config }).expect(201);
    expect(added.body.config).toEqual({ apiUrl: pdns.apiUrl, apiKey: '<hidden>', serverId: 'localhost' });
    expect(JSON.stringify(added.body)).not.toContain(pdns.apiKey);
  });

  it('writes, protects and removes apps\' A records', async () => {
    await app.api.post('/api/v1/apps/install').set(auth())
      .send({ manifest: testManifest('web:1'), location: 'foreign', domain: 'pdns.test', accessRestriction: null })
      .expect(409);
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'web', domain: 'pdns.test' });
    expect(await pdns.records('web.pdns.test', 'A')).toEqual(['127.0.0.1']);
    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(auth()).expect(202);
    for (;;) {
      if ((await app.api.get(`/api/v1/apps/${id}`).set(auth())).status === 404) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await pdns.records('web.pdns.test', 'A')).toEqual([]);
    expect(await pdns.records('foreign.pdns.test', 'A')).toEqual(['10.2.2.2']);
  });
});
