import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';
import { APPS_ENV, installAndWait, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';
import { startFakeCloudflare, type FakeCloudflare } from '../helpers/fake-cloudflare';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../helpers/fake-digitalocean';
import { startFakeRoute53, type FakeRoute53 } from '../helpers/fake-route53';

jest.setTimeout(180_000);

/**
 * Domains on cloudflare, digitalocean and route53 through the box API, against fakes of the three APIs that
 * Berth reaches through its operator settings (BERTH_CLOUDFLARE_API, …): the live check when a domain is
 * added, secrets hidden and kept, and apps' A records written, moved and removed by the app tasks.
 */
describe('cloud DNS providers through the box API', () => {
  let app: TestApp;
  let token: string;
  let cf: FakeCloudflare;
  let doApi: FakeDigitalOcean;
  let r53: FakeRoute53;
  const auth = () => bearer(token);

  beforeAll(async () => {
    cf = await startFakeCloudflare(['cf.test', 'cfkey.test']);
    doApi = await startFakeDigitalOcean(['do.test']);
    r53 = await startFakeRoute53(['r53.test']);
    app = await startTestApp({
      env: { ...APPS_ENV, BERTH_CLOUDFLARE_API: cf.url, BERTH_DIGITALOCEAN_API: doApi.url, BERTH_ROUTE53_ENDPOINT: r53.url, BERTH_DNS_TIMEOUT_SECS: '5' },
      workers: true,
    });
    ({ token } = await activate(app));
  });

  afterAll(async () => {
    if (app) {
      await removeEngineObjects(app);
      await app.close();
    }
    await cf?.stop();
    await doApi?.stop();
    await r53?.stop();
  });

  const cases = () => [
    {
      provider: 'cloudflare',
      domain: 'cf.test',
      config: { token: cf.token, tokenType: 'ApiToken' },
      secretKey: 'token',
      refused: [
        { config: { token: 'not-the-token' }, reason: /^Cloudflare refused the credentials: Invalid access token \(code 9109\)$/ },
        { config: { token: cf.readOnlyToken }, reason: /^Cloudflare refused the credentials: Authentication error \(code 10000\)$/ },
      ],
      noZone: /^Cloudflare has no zone other\.test that these credentials can see$/,
      fake: cf,
      aRecords: (fqdn: string) => cf.records(fqdn, 'A').map((r) => r.content),
    },
    {
      provider: 'digitalocean',
      domain: 'do.test',
      config: { token: doApi.token },
      secretKey: 'token',
      refused: [
        { config: { token: 'dop_v1_wrong' }, reason: /^DigitalOcean refused the token: Unable to authenticate you \(Unauthorized\)$/ },
        { config: { token: doApi.readOnlyToken }, reason: /^DigitalOcean refused the token: You do not have access for the attempted action\. \(forbidden\)$/ },
      ],
      noZone: /^DigitalOcean has no domain other\.test in this account$/,
      fake: doApi,
      aRecords: (fqdn: string) => doApi.records(fqdn, 'A'),
    },
    {
      provider: 'route53',
      domain: 'r53.test',
      config: { accessKeyId: r53.accessKeyId, secretAccessKey: r53.secretAccessKey, region: 'us-east-1' },
      secretKey: 'secretAccessKey',
      refused: [
        { config: { accessKeyId: r53.accessKeyId, secretAccessKey: 'wrong-secret' }, reason: /^Route 53 refused the credentials: SignatureDoesNotMatch: The request signature we calculated/ },
        { config: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: r53.secretAccessKey }, reason: /^Route 53 refused the credentials: InvalidClientTokenId: The security token included in the request is invalid\.$/ },
        { config: r53.readOnly, reason: /^Route 53 refused the credentials: AccessDenied: .*not authorized to perform: route53:ChangeResourceRecordSets/ },
      ],
      noZone: /^Route 53 has no public hosted zone other\.test that these credentials can see$/,
      fake: r53,
      aRecords: (fqdn: string) => r53.records(fqdn, 'A'),
    },
  ];
  const caseOf = (provider: string) => cases().find((c) => c.provider === provider)!;
  const providers = ['cloudflare', 'digitalocean', 'route53'];

  it.each(providers)('%s: adding checks the credentials and the zone live; the secret reads back hidden and is kept when sent back', async (provider) => {
    const c = caseOf(provider);
    const secret = String((c.config as Record<string, unknown>)[c.secretKey]);
    const add = (domain: string, config: Record<string, unknown>) => app.api.post('/api/v1/domains').set(auth()).send({ domain, provider, config });

    for (const { config, reason } of c.refused) {
      const res = await add(c.domain, config).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(reason) });
      for (const value of Object.values(config)) if (value.length > 12) expect(res.body.message).not.toContain(value);
    }
    expect((await add('other.test', c.config).expect(400)).body.message).toMatch(c.noZone);
    await app.api.get(`/api/v1/domains/${c.domain}`).set(auth()).expect(404);

    const added = await add(c.domain, c.config).expect(201);
    expect(added.body).toMatchObject({ domain: c.domain, provider, config: { ...c.config, [c.secretKey]: '<hidden>' } });
    expect(JSON.stringify(added.body)).not.toContain(secret);
    // The live check wrote and removed its probe record.
    expect(c.fake.seen.some((line) => /^(POST|PUT)/.test(line))).toBe(true);

    // Sent back as the placeholder, the stored secret is used (the live check passes again) and kept.
    await app.api.put(`/api/v1/domains/${c.domain}`).set(auth()).send({ provider, config: { ...c.config, [c.secretKey]: '<hidden>' } }).expect(204);
    // A change the API refuses stores nothing.
    await app.api.put(`/api/v1/domains/${c.domain}`).set(auth()).send({ provider, config: c.refused[0].config }).expect(400);
    const read = await app.api.get(`/api/v1/domains/${c.domain}`).set(auth()).expect(200);
    expect(read.body.config[c.secretKey]).toBe('<hidden>');
    const events = await app.api.get('/api/v1/eventlog?per_page=200').set(auth()).expect(200);
    expect(JSON.stringify(events.body)).not.toContain(secret);
  });

  it.each(providers)("%s: app tasks write, move and remove the app's A record; a record Berth did not write is not taken", async (provider) => {
    const c = caseOf(provider);
    c.fake.setRecord(`foreign.${c.domain}`, 'A', ['10.2.2.2']);
    const refused = await app.api.post('/api/v1/apps/install').set(auth())
      .send({ manifest: testManifest('web:1'), location: 'foreign', domain: c.domain, accessRestriction: null })
      .expect(409);
    expect(refused.body.message).toMatch(/10\.2\.2\.2.*overwriteDns/);

    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'app', domain: c.domain });
    expect(c.aRecords(`app.${c.domain}`)).toEqual(['127.0.0.1']);

    await app.api.post(`/api/v1/apps/${id}/configure`).set(auth()).send({ location: 'moved' }).expect(202);
    expect((await waitForApp(app, token, id)).installationState).toBe('installed');
    expect(c.aRecords(`app.${c.domain}`)).toEqual([]);
    expect(c.aRecords(`moved.${c.domain}`)).toEqual(['127.0.0.1']);

    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(auth()).expect(202);
    for (;;) {
      if ((await app.api.get(`/api/v1/apps/${id}`).set(auth())).status === 404) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(c.aRecords(`moved.${c.domain}`)).toEqual([]);
    expect(c.aRecords(`foreign.${c.domain}`)).toEqual(['10.2.2.2']);
  });

  it('cloudflare takes the Global API Key with the account email', async () => {
    const add = (config: Record<string, unknown>) => app.api.post('/api/v1/domains').set(auth()).send({ domain: 'cfkey.test', provider: 'cloudflare', config });
    const wrong = await add({ tokenType: 'GlobalApiKey', email: 'someone@example.com', token: cf.globalKey }).expect(400);
    expect(wrong.body.message).toBe('Cloudflare refused the credentials: Unknown X-Auth-Key or X-Auth-Email (code 9103)');
    expect((await add({ tokenType: 'GlobalApiKey', token: cf.globalKey }).expect(400)).body.message).toMatch(/config\.email is required/);
    const added = await add({ tokenType: 'GlobalApiKey', email: cf.email, token: cf.globalKey, defaultProxyStatus: true }).expect(201);
    expect(added.body.config).toEqual({ tokenType: 'GlobalApiKey', email: cf.email, token: '<hidden>', defaultProxyStatus: true });
  });
});
