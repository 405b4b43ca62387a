import { activate, bearer, OWNER, startTestApp, type TestApp } from '../helpers/app';

describe('profile', () => {
  let app: TestApp;
  let token: string;
  beforeEach(async () => {
    app = await startTestApp();
    token = (await activate(app)).token;
  });
  afterEach(() => app.close());

  it('updates display name and fallback email', async () => {
    const res = await app.api
      .post('/api/v1/profile')
      .set(bearer(token))
      .send({ displayName: '  Оксана 🚀 Müller ', fallbackEmail: 'Backup@Example.org' })
      .expect(200);
    expect(res.body).toMatchObject({ displayName: 'Оксана 🚀 Müller', fallbackEmail: 'backup@example.org' });
    const again = await app.api.get('/api/v1/profile').set(bearer(token)).expect(200);
    expect(again.body.displayName).toBe('Оксана 🚀 Müller');
    await app.api.post('/api/v1/profile').set(bearer(token)).send({ fallbackEmail: '' }).expect(200);
  });

  it('needs the current password to change the email', async () => {
    const missing = await app.api.post('/api/v1/profile').set(bearer(token)).send({ email: 'new@example.com' }).expect(400);
    expect(missing.body.message).toMatch(/password is required/);
    await app.api.post('/api/v1/profile').set(bearer(token)).send({ email: 'new@example.com', password: 'wrong-one' }).expect(412);
    const ok = await app.api
      .post('/api/v1/profile')
      .set(bearer(token))
      .send({ email: 'new@example.com', password: OWNER.password })
      .expect(200);
    expect(ok.body.email).toBe('new@example.com');
  });

  it('refuses an empty update and unknown fields', async () => {
    await app.api.post('/api/v1/profile').set(bearer(token)).send({}).expect(400);
    const res = await app.api.post('/api/v1/profile').set(bearer(token)).send({ role: 'owner' }).expect(400);
    expect(res.body.message).toBe('unknown field "role"');
  });

  it('changes the password with the current one and ends other login sessions', async () => {
    const other = await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200);
    const apiToken = await app.api.post('/api/v1/tokens').set(bearer(token)).send({ name: 'script' }).expect(201);

    await app.api.post('/api/v1/profile/password').set(bearer(token)).send({ password: 'wrong-one', newPassword: 'n3w-passw0rd' }).expect(412);
    await app.api.post('/api/v1/profile/password').set(bearer(token)).send({ password: OWNER.password, newPassword: 'short' }).expect(400);
    await app.api.post('/api/v1/profile/password').set(bearer(token)).send({ password: OWNER.password, newPassword: 'n3w-passw0rd' }).expect(204);

    await app.api.get('/api/v1/profile').set(bearer(token)).expect(200);
    await app.api.get('/api/v1/profile').set(bearer(other.body.token)).expect(401);
    await app.api.get('/api/v1/profile').set(bearer(apiToken.body.accessToken)).expect(200);
    await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(401);
    await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: 'n3w-passw0rd' }).expect(200);
  });

  it('stores passwords as scrypt hashes only', async () => {
    const rows = await app.berth.db('users').select('password_hash');
    expect(rows[0].password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(JSON.stringify(await app.berth.db('users').select())).not.toContain(OWNER.password);
  });
});
