import { createHash } from 'node:crypto';
import { TokenService } from '../../services/tokens/token-service';
import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';

describe('access tokens', () => {
  let app: TestApp;
  let now: Date;
  let owner: string;
  beforeEach(async () => {
    now = new Date('2026-11-24T08:00:00.000Z');
    app = await startTestApp({ clock: () => now });
    owner = (await activate(app)).token;
  });
  afterEach(() => app.close());

  it('creates a token, shows its secret once, lists and revokes it', async () => {
    const created = await app.api.post('/api/v1/tokens').set(bearer(owner)).send({ name: 'ci' }).expect(201);
    expect(created.body).toMatchObject({ name: 'ci', clientId: 'cid-api', scope: { '*': 'rw' }, expires: null });
    const secret = created.body.accessToken;
    expect(secret).toMatch(/^bt_[A-Za-z0-9_-]{43}$/);

    await app.api.get('/api/v1/profile').set(bearer(secret)).expect(200);

    const list = await app.api.get('/api/v1/tokens').set(bearer(owner)).expect(200);
    expect(list.body.tokens.map((t: { name: string }) => t.name).sort()).toEqual(['activation', 'ci']);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(list.body.tokens.every((t: object) => !('accessToken' in t))).toBe(true);

    const one = await app.api.get(`/api/v1/tokens/${created.body.id}`).set(bearer(owner)).expect(200);
    expect(one.body.accessToken).toBeUndefined();

    await app.api.delete(`/api/v1/tokens/${created.body.id}`).set(bearer(owner)).expect(204);
    await app.api.get('/api/v1/profile').set(bearer(secret)).expect(401);
    await app.api.delete(`/api/v1/tokens/${created.body.id}`).set(bearer(owner)).expect(404);
  });

  it('stores only a hash of the secret', async () => {
    const created = await app.api.post('/api/v1/tokens').set(bearer(owner)).send({ name: 'ci' }).expect(201);
    const rows = await app.berth.db('tokens').select();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(created.body.accessToken);
    expect(dump).not.toContain(owner);
    const hash = createHash('sha256').update(created.body.accessToken).digest('hex');
    expect(rows.map((r: { token_hash: string }) => r.token_hash)).toContain(hash);
  });

  it('accepts the token as access_token in the query, but not in header and query at once', async () => {
    await app.api.get(`/api/v1/profile?access_token=${owner}`).expect(200);
    const both = await app.api.get(`/api/v1/profile?access_token=${owner}`).set(bearer(owner)).expect(400);
    expect(both.body.message).toMatch(/not both/);
  });

  it('refuses unknown, malformed and revoked tokens with 401', async () => {
    await app.api.get('/api/v1/profile').set(bearer('bt_' + 'A'.repeat(43))).expect(401);
    await app.api.get('/api/v1/profile').set(bearer('garbage')).expect(401);
    await app.api.get('/api/v1/profile').set('Authorization', 'Basic Zm9vOmJhcg==').expect(401);
    await app.api.get('/api/v1/profile').set(bearer('x'.repeat(5000))).expect(401);
    // A repeated access_token arrives as an array: still a 401, never a 500.
    await app.api.get(`/api/v1/profile?access_token=${owner}&access_token=${owner}`).expect(401);
    await app.api.get(`/api/v1/profile?access_token[]=${owner}`).expect(401);
    await app.api.get('/api/v1/profile').set('Authorization', `Bearer  ${owner}`).expect(400);
  });

  it('expires tokens at their expiry time', async () => {
    const expiresAt = new Date(now.getTime() + 3600_000).toISOString();
    const created = await app.api.post('/api/v1/tokens').set(bearer(owner)).send({ name: 'short', expiresAt }).expect(201);
    expect(created.body.expires).toBe(expiresAt);
    await app.api.get('/api/v1/profile').set(bearer(created.body.accessToken)).expect(200);
    now = new Date(now.getTime() + 3600_000);
    const expired = await app.api.get('/api/v1/profile').set(bearer(created.body.accessToken)).expect(401);
    expect(expired.body.message).toBe('Token expired');
  });

  it('expires login tokens after seven days', async () => {
    now = new Date(now.getTime() + 7 * 24 * 3600_000 + 1000);
    await app.api.get('/api/v1/profile').set(bearer(owner)).expect(401);
  });

  it('refuses an expiry in the past', async () => {
    const res = await app.api
      .post('/api/v1/tokens')
      .set(bearer(owner))
      .send({ name: 'old', expiresAt: '2020-01-01T00:00:00Z' })
      .expect(400);
    expect(res.body.message).toMatch(/expiresAt must be in the future/);
    await app.api.post('/api/v1/tokens').set(bearer(owner)).send({ name: 'bad', expiresAt: 'tomorrow' }).expect(400);
  });

  it('gives read-only tokens reads and 403 on every mutation', async () => {
    const created = await app.api.post('/api/v1/tokens').set(bearer(owner)).send({ name: 'ro', scope: { '*': 'r' } }).expect(201);
    const ro = created.body.accessToken;
    await app.api.get('/api/v1/profile').set(bearer(ro)).expect(200);
    await app.api.get('/api/v1/tokens').set(bearer(ro)).expect(200);
    const denied = await app.api.post('/api/v1/profile').set(bearer(ro)).send({ displayName: 'x' }).expect(403);
    expect(denied.body.message).toBe('This token is read-only');
    await app.api.post('/api/v1/tokens').set(bearer(ro)).send({ name: 'escalate' }).expect(403);
    await app.api.post('/api/v1/tokens').set(bearer(ro)).send({ name: 'narrow', scope: { '*': 'r' } }).expect(403);
    await app.api.delete(`/api/v1/tokens/${created.body.id}`).set(bearer(ro)).expect(403);
    // Logging out is always allowed.
    await app.api.post('/api/v1/cloudron/logout').set(bearer(ro)).expect(204);
    await app.api.get('/api/v1/profile').set(bearer(ro)).expect(401);
  });

  it("never shows or revokes another user's token", async () => {
    const store = app.berth.store;
    const instance = await store.instances.findDefault();
    const at = now.toISOString();
    await store.users.insert({
      id: 'uid-other', instanceId: instance!.id, username: 'bob', email: 'bob@example.com', fallbackEmail: '',
      displayName: '', role: 'admin', active: true, passwordHash: null, createdAt: at, updatedAt: at,
    });
    const ownerToken = (await app.api.get('/api/v1/tokens').set(bearer(owner))).body.tokens[0];
    const tokens = new TokenService({ tokens: store.tokens, clock: () => now });
    const bob = await tokens.issue({ instanceId: instance!.id, userId: 'uid-other', name: 'bob', clientId: 'cid-api' });
    await app.api.get(`/api/v1/tokens/${ownerToken.id}`).set(bearer(bob.secret)).expect(404);
    await app.api.delete(`/api/v1/tokens/${ownerToken.id}`).set(bearer(bob.secret)).expect(404);
    await app.api.get('/api/v1/profile').set(bearer(owner)).expect(200);
  });

  it('stops a deactivated user at once', async () => {
    await app.berth.db('users').update({ active: false });
    const res = await app.api.get('/api/v1/profile').set(bearer(owner)).expect(401);
    expect(res.body.message).toBe('User is not active');
  });
});
