import { activate, bearer, OWNER, startTestApp, type TestApp } from '../helpers/app';

// Hundreds of requests in the first test (each domain add makes a certificate): more than jest's 30 s on a busy machine.
jest.setTimeout(120_000);

const SQL_METACHARACTERS = [`'; DROP TABLE users; --`, `" OR "1"="1`, `\\'); DELETE FROM tokens; --`, `%_*?[]{}`, `\u0000null`];
const LONG = 'é'.repeat(10_000);
const UNICODE = ['Ωμέγα', '名前', '🚀🔥', 'e\u0301', '\u202Eevil'];

/** A valid body for each operation that takes one; each string field in it gets replaced by hostile values. */
function sampleBodies(): Record<string, { method: 'post'; url: string; body: Record<string, unknown>; auth: boolean }> {
  return {
    setup: { method: 'post', url: '/api/v1/cloudron/setup', auth: false, body: { dnsConfig: { provider: 'noop', domain: 'example.com', config: { token: 'x' } } } },
    activate: { method: 'post', url: '/api/v1/cloudron/activate', auth: false, body: { ...OWNER } },
    login: { method: 'post', url: '/api/v1/cloudron/login', auth: false, body: { username: 'someone', password: 'wrong-password' } },
    updateProfile: { method: 'post', url: '/api/v1/profile', auth: true, body: { displayName: 'x', fallbackEmail: 'f@example.com' } },
    changeProfilePassword: { method: 'post', url: '/api/v1/profile/password', auth: true, body: { password: 'wrong-one', newPassword: 'whatever-new' } },
    createToken: { method: 'post', url: '/api/v1/tokens', auth: true, body: { name: 'n' } },
    addDomain: { method: 'post', url: '/api/v1/domains', auth: true, body: { domain: 'hostile.test', zoneName: 'hostile.test', provider: 'noop', config: { note: 'x' } } },
  };
}

/** Every path to a string value in a body, e.g. ['dnsConfig', 'domain']. */
function stringPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value === 'string') return [prefix];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...prefix, k]));
  return [];
}

function withValue(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let node = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

describe('bad input never gets a 500 or loses data', () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp({ loginLimits: { perUsername: 1e6, perAddress: 1e6, windowSecs: 60 } });
    token = (await activate(app)).token;
  });
  afterAll(() => app.close());

  it('survives hostile strings in every string field of every body', async () => {
    for (const [operationId, sample] of Object.entries(sampleBodies())) {
      for (const path of stringPaths(sample.body)) {
        for (const value of [...SQL_METACHARACTERS, LONG, ...UNICODE, 42, null, ['a'], { a: 1 }]) {
          const req = app.api[sample.method](sample.url).send(withValue(sample.body, path, value));
          const res = await (sample.auth ? req.set(bearer(token)) : req);
          expect([operationId, path.join('.'), res.status < 500]).toEqual([operationId, path.join('.'), true]);
          expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at /);
        }
      }
    }
    // Nothing stored was lost or corrupted: the owner still logs in and the tables are intact.
    await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200);
    expect(Number((await app.berth.db('users').count({ n: '*' }))[0].n)).toBe(1);
  });

  it('names the field for wrong types, missing and unknown fields', async () => {
    const wrongType = await app.api.post('/api/v1/cloudron/login').send({ username: 5, password: 'x' }).expect(400);
    expect(wrongType.body).toEqual({ status: 'Bad Request', message: 'username must be string', code: 'VALIDATION_ERROR' });
    const missing = await app.api.post('/api/v1/cloudron/login').send({ username: 'a' }).expect(400);
    expect(missing.body.message).toBe('password is required');
    const unknown = await app.api.post('/api/v1/cloudron/login').send({ username: 'a', password: 'b', admin: true }).expect(400);
    expect(unknown.body.message).toBe('unknown field "admin"');
    const nested = await app.api
      .post('/api/v1/cloudron/setup')
      .send({ dnsConfig: { provider: 'noop', domain: 'example.com', config: {}, extra: 1 } })
      .expect(400);
    expect(nested.body.message).toBe('unknown field "dnsConfig.extra"');
    const tooLong = await app.api.post('/api/v1/tokens').set(bearer(token)).send({ name: 'x'.repeat(129) }).expect(400);
    expect(tooLong.body.message).toMatch(/^name must NOT have more than 128 characters/);
  });

  it('answers 400 to malformed JSON and to bodies that are not objects', async () => {
    const malformed = await app.api.post('/api/v1/cloudron/login').set('Content-Type', 'application/json').send('{"username": "a",').expect(400);
    expect(malformed.body).toEqual({ status: 'Bad Request', message: 'Request body is not valid JSON', code: 'MALFORMED_JSON' });
    await app.api.post('/api/v1/cloudron/login').set('Content-Type', 'application/json').send('[1,2]').expect(400);
    await app.api.post('/api/v1/cloudron/login').set('Content-Type', 'application/json').send('null').expect(400);
    const noBody = await app.api.post('/api/v1/cloudron/login').set('Content-Type', 'text/plain').send('username=a').expect(400);
    expect(noBody.body.message).toBe('a JSON request body is required');
  });

  it('answers 413 to a body over the limit', async () => {
    const huge = { username: 'a', password: 'x'.repeat(1024 * 1024 + 10) };
    const res = await app.api.post('/api/v1/cloudron/login').send(huge).expect(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 404 to unknown routes and 405 with Allow to wrong methods, in the box format', async () => {
    const missing = await app.api.get('/api/v1/nothing-here').expect(404);
    expect(missing.body).toMatchObject({ status: 'Not Found', code: 'NOT_FOUND' });
    const outside = await app.api.get('/nowhere').expect(404);
    expect(outside.body.code).toBe('NOT_FOUND');
    const wrongMethod = await app.api.delete('/api/v1/cloudron/status').expect(405);
    expect(wrongMethod.headers.allow).toBe('GET');
    expect(wrongMethod.body.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('ignores unknown query parameters (cache busters) but validates known ones', async () => {
    await app.api.get('/api/v1/cloudron/status?_=1700000000&x=1').expect(200);
    await app.api.get('/api/v1/tokens?_=1').set(bearer(token)).expect(200);
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await app.api.head('/health/liveness').expect(200);
    expect(res.text ?? '').toBe('');
  });

  it('validates path parameters', async () => {
    await app.api.get(`/api/v1/tokens/${'x'.repeat(65)}`).set(bearer(token)).expect(400);
    await app.api.get(`/api/v1/tokens/${encodeURIComponent("' OR 1=1 --")}`).set(bearer(token)).expect(404);
  });
});
