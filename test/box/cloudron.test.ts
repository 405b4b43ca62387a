import { activate, bearer, OWNER, startTestApp, type TestApp } from '../helpers/app';

describe('cloudron: status, setup, activation, login, logout', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp();
  });
  afterEach(() => app.close());

  it('reports status publicly, before and after activation', async () => {
    const before = await app.api.get('/api/v1/cloudron/status').expect(200);
    expect(before.body).toMatchObject({ activated: false, cloudronName: 'Berth', adminFqdn: '' });
    await activate(app);
    const after = await app.api.get('/api/v1/cloudron/status').expect(200);
    expect(after.body.activated).toBe(true);
  });

  it('activates once and returns a working token', async () => {
    const { token, userId } = await activate(app);
    expect(userId).toMatch(/^uid-/);
    const profile = await app.api.get('/api/v1/profile').set(bearer(token)).expect(200);
    expect(profile.body).toMatchObject({ id: userId, username: OWNER.username, email: OWNER.email, role: 'owner' });

    const again = await app.api.post('/api/v1/cloudron/activate').send({ ...OWNER, username: 'other' }).expect(409);
    expect(again.body).toEqual({ status: 'Conflict', message: 'Already activated', code: 'ALREADY_ACTIVATED' });
  });

  it('lets exactly one of many concurrent activations win', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        app.api.post('/api/v1/cloudron/activate').send({ ...OWNER, username: `owner${i}`, email: `o${i}@example.com` }),
      ),
    );
    expect(attempts.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });

  it('refuses bad activation input naming the field, and stores nothing', async () => {
    const cases: Array<[object, RegExp]> = [
      [{ ...OWNER, username: 'admin' }, /username "admin" is reserved/],
      [{ ...OWNER, username: 'Oksana' }, /username must be lowercase/],
      [{ ...OWNER, username: 'a' }, /username must be 2 to 32/],
      [{ ...OWNER, email: 'not-an-email' }, /email is not a valid email/],
      [{ ...OWNER, password: 'short' }, /password/],
      [{ username: 'x1', password: 'longenough' }, /email is required/],
      [{ ...OWNER, displayName: 'tab\there' }, /displayName must not contain control characters/],
    ];
    for (const [body, message] of cases) {
      const res = await app.api.post('/api/v1/cloudron/activate').send(body).expect(400);
      expect(res.body.message).toMatch(message);
    }
    const status = await app.api.get('/api/v1/cloudron/status').expect(200);
    expect(status.body.activated).toBe(false);
  });

  it('starts a setup task, shows it active in status, and refuses a second setup while it runs', async () => {
    // No workers in this app: the task stays pending.
    const started = await app.api
      .post('/api/v1/cloudron/setup')
      .send({ dnsConfig: { provider: 'noop', domain: 'Example.COM', config: {} }, sysinfoConfig: { provider: 'generic' } })
      .expect(200);
    expect(started.body.taskId).toEqual(expect.any(Number));
    const status = await app.api.get('/api/v1/cloudron/status').expect(200);
    expect(status.body.setup).toEqual({ active: true, message: '', errorMessage: null });
    expect(status.body.adminFqdn).toBe('');

    const again = await app.api.post('/api/v1/cloudron/setup').send({ dnsConfig: { provider: 'noop', domain: 'other.com', config: {} } }).expect(409);
    expect(again.body.message).toMatch(/Setup is already running \(task \d+\)/);
  });

  it('sets the dashboard domain once the task is done, and closes setup after activation', async () => {
    const worked = await startTestApp({ workers: true });
    try {
      await worked.api.post('/api/v1/cloudron/setup').send({ dnsConfig: { provider: 'noop', domain: 'example.com', config: {} } }).expect(200);
      const status = await waitForSetup(worked);
      expect(status).toMatchObject({ adminFqdn: 'my.example.com', setup: { active: false, errorMessage: null, message: 'Dashboard ready at https://my.example.com' } });

      const { token } = await activate(worked);
      const config = await worked.api.get('/api/v1/config').set(bearer(token)).expect(200);
      expect(config.body).toMatchObject({ adminDomain: 'example.com', adminFqdn: 'my.example.com', isDemo: false });
      // The dashboard domain is one of the tenant's domains.
      await worked.api.get('/api/v1/domains/example.com').set(bearer(token)).expect(200);

      const refused = await worked.api.post('/api/v1/cloudron/setup').send({ dnsConfig: { provider: 'noop', domain: 'other.com', config: {} } }).expect(409);
      expect(refused.body).toMatchObject({ code: 'ALREADY_ACTIVATED', message: 'Setup is disabled once the box is activated' });
    } finally {
      await worked.close();
    }
  });

  it('validates setup input', async () => {
    const bad = [
      { dnsConfig: { provider: 'noop', domain: 'not a domain', config: {} } },
      { dnsConfig: { provider: 'noop', domain: 'a.example.com', zoneName: 'other.com', config: {} } },
      { dnsConfig: { provider: 'nope', domain: 'example.com', config: {} } },
      { dnsConfig: { provider: 'noop', domain: 'example.com', config: {} }, sysinfoConfig: { provider: 'fixed', ip: 'x' } },
      { dnsConfig: { provider: 'noop', domain: 'example.com', config: {} }, sysinfoConfig: { provider: 'network-interface', ifname: 'no-such-if0' } },
      { dnsConfig: { provider: 'noop', domain: 'example.com' } },
    ];
    for (const body of bad) await app.api.post('/api/v1/cloudron/setup').send(body).expect(400);
    // Nothing was started or stored; the last refusal the service saw shows in status, as Cloudron's does.
    const status = await app.api.get('/api/v1/cloudron/status').expect(200);
    expect(status.body).toMatchObject({ adminFqdn: '', setup: { active: false, errorMessage: expect.stringMatching(/sysinfoConfig.ifname/) } });
    expect(await app.berth.store.domains.list((await app.berth.store.instances.findDefault())!.id)).toEqual([]);
  });

  it('logs in by username or email, and refuses wrong passwords with 401', async () => {
    await activate(app);
    const byName = await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200);
    expect(byName.body.token).toMatch(/^bt_/);
    expect(Date.parse(byName.body.expiresAt)).toBeGreaterThan(Date.now());
    await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.email.toUpperCase(), password: OWNER.password }).expect(200);
    const wrong = await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: 'wrong-password' }).expect(401);
    expect(wrong.body.message).toBe('Invalid username or password');
    const unknown = await app.api.post('/api/v1/cloudron/login').send({ username: 'nobody1', password: 'wrong-password' }).expect(401);
    expect(unknown.body.message).toBe(wrong.body.message);
  });

  it('logout revokes the token that made the request', async () => {
    const { token } = await activate(app);
    await app.api.post('/api/v1/cloudron/logout').set(bearer(token)).expect(204);
    await app.api.get('/api/v1/profile').set(bearer(token)).expect(401);
  });
});

/** Polls status until no setup is active. */
async function waitForSetup(app: TestApp) {
  for (;;) {
    const res = await app.api.get('/api/v1/cloudron/status').expect(200);
    if (!res.body.setup.active) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('login brute force', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp({ loginLimits: { perUsername: 3, perAddress: 5, windowSecs: 60 } });
    await activate(app);
  });
  afterEach(() => app.close());

  it('limits failures per username with 429 and Retry-After, even for the right password', async () => {
    for (let i = 0; i < 3; i++) {
      await app.api.post('/api/v1/cloudron/login').set('X-Forwarded-For', `10.0.0.${i}`).send({ username: OWNER.username, password: 'guess' + i }).expect(401);
    }
    const limited = await app.api
      .post('/api/v1/cloudron/login')
      .set('X-Forwarded-For', '10.0.0.99')
      .send({ username: OWNER.username, password: OWNER.password })
      .expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body.code).toBe('RATE_LIMITED');
  });

  it('counts username and email of one account together', async () => {
    for (let i = 0; i < 2; i++) {
      await app.api.post('/api/v1/cloudron/login').set('X-Forwarded-For', `10.1.0.${i}`).send({ username: OWNER.username, password: 'guess' }).expect(401);
    }
    await app.api.post('/api/v1/cloudron/login').set('X-Forwarded-For', '10.1.0.9').send({ username: OWNER.email, password: 'guess' }).expect(401);
    await app.api.post('/api/v1/cloudron/login').set('X-Forwarded-For', '10.1.0.10').send({ username: OWNER.email, password: OWNER.password }).expect(429);
  });

  it('limits wrong current passwords on a session like failed logins', async () => {
    const token = (await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200)).body.token;
    for (let i = 0; i < 3; i++) {
      await app.api.post('/api/v1/profile/password').set('Authorization', `Bearer ${token}`).set('X-Forwarded-For', `10.2.0.${i}`).send({ password: 'guess-guess', newPassword: 'whatever-new' }).expect(412);
    }
    await app.api.post('/api/v1/profile/password').set('Authorization', `Bearer ${token}`).send({ password: OWNER.password, newPassword: 'whatever-new' }).expect(429);
  });

  it('limits failures per client address across usernames', async () => {
    for (let i = 0; i < 5; i++) {
      await app.api.post('/api/v1/cloudron/login').send({ username: `user${i}`, password: 'guess' }).expect(401);
    }
    await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(429);
    // Another address is not affected.
    await app.api.post('/api/v1/cloudron/login').set('X-Forwarded-For', '10.9.9.9').send({ username: OWNER.username, password: OWNER.password }).expect(200);
  });
});
