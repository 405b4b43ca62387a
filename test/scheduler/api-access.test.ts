import { activate, bearer, createUserWithToken, OWNER, startTestApp, type TestApp } from '../helpers/app';

/**
 * Who may use the scheduler API: login and refresh over Berth's revocable tokens, the owner and admin roles only,
 * read-only tokens for reads only, reload for the default tenant's owner only, and tenants that never see each
 * other's jobs or executions (a second tenant, created as the operator creates tenants).
 */
describe('scheduler API: login, roles and tenants', () => {
  let app: TestApp;
  let owner: Record<string, string>;
  let executionId: string;
  const B = { domain: 'b.scheduler.test', username: 'bowner', password: 'Another-str0ng-pw!' };
  let ownerB: Record<string, string>;

  beforeAll(async () => {
    app = await startTestApp({ workers: false });
    owner = bearer((await activate(app)).token);
    await app.api.put('/api/job/nightly').set(owner).send({ type: 'run', schedule: '@daily', image: 'busybox', command: 'true' }).expect(201);
    executionId = (await app.api.post('/api/job/nightly/run').set(owner).expect(202)).body.executionId;

    // Tenant B: its owner takes the invitation on the tenant's own domain, then logs in there.
    const created = await app.berth.tenants.create({ domain: B.domain, email: `owner@${B.domain}` }, null);
    const inviteToken = new URL(created.inviteLink).searchParams.get('inviteToken');
    await app.api.post('/api/v1/cloudron/setup_account').set('Host', B.domain).send({ inviteToken, username: B.username, password: B.password }).expect(200);
    ownerB = bearer((await app.api.post('/api/login').set('Host', B.domain).send({ username: B.username, password: B.password }).expect(200)).body.token);
  });
  afterAll(() => app.close());

  describe('login and refresh', () => {
    it('logs in with the box account: a token valid 7 days, usable on both APIs', async () => {
      const res = await app.api.post('/api/login').send({ username: OWNER.username, password: OWNER.password }).expect(200);
      expect(res.body).toEqual({ token: expect.stringMatching(/^bt_/), expires: expect.any(String) });
      const days = (Date.parse(res.body.expires) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(6.9);
      await app.api.get('/api/jobs').set(bearer(res.body.token)).expect(200);
      await app.api.get('/api/v1/profile').set(bearer(res.body.token)).expect(200);
      // A token in the query works as in the box API.
      await app.api.get(`/api/jobs?access_token=${res.body.token}`).expect(200);
    });

    it('refuses wrong credentials, and a user of another tenant, with 401 UNAUTHORIZED', async () => {
      const wrong = await app.api.post('/api/login').send({ username: OWNER.username, password: 'wrong-password' }).expect(401);
      expect(wrong.body.error.code).toBe('UNAUTHORIZED');
      expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
      await app.api.post('/api/login').set('Host', B.domain).send({ username: OWNER.username, password: OWNER.password }).expect(401);
      expect((await app.api.post('/api/login').send({ username: OWNER.username }).expect(400)).body.error.code).toBe('VALIDATION_ERROR');
    });

    it('refreshes a token: a new one works, the old one is revoked (401)', async () => {
      const first = (await app.api.post('/api/login').send({ username: OWNER.username, password: OWNER.password }).expect(200)).body;
      const second = (await app.api.post('/api/refresh').set(bearer(first.token)).expect(200)).body;
      expect(second.token).not.toBe(first.token);
      expect(Date.parse(second.expires)).toBeGreaterThanOrEqual(Date.parse(first.expires));
      await app.api.get('/api/jobs').set(bearer(second.token)).expect(200);
      const old = await app.api.get('/api/jobs').set(bearer(first.token)).expect(401);
      expect(old.body.error.code).toBe('UNAUTHORIZED');
      await app.api.post('/api/refresh').set(bearer(first.token)).expect(401);
    });

    it('refreshes an API token keeping its scope and expiry; read-only tokens may refresh too', async () => {
      const { token } = await createUserWithToken(app, 'admin', { readOnly: true });
      const res = await app.api.post('/api/refresh').set(bearer(token)).expect(200);
      expect(res.body.expires).toBeNull();
      await app.api.get('/api/jobs').set(bearer(token)).expect(401);
      await app.api.get('/api/jobs').set(bearer(res.body.token)).expect(200);
      await app.api.patch('/api/job/nightly/toggle').set(bearer(res.body.token)).expect(403);
    });

    it('needs a token everywhere but login and health', async () => {
      for (const req of [app.api.get('/api/jobs'), app.api.get('/api/config'), app.api.post('/api/refresh'), app.api.get('/api/scheduler/status')]) {
        expect((await req.expect(401)).body.error.code).toBe('UNAUTHORIZED');
      }
      await app.api.get('/api/jobs').set(bearer('bt_not-a-real-token')).expect(401);
      await app.api.get('/health/liveness').expect(200);
    });
  });

  describe('roles', () => {
    it('lets an admin do everything in the tenant', async () => {
      const admin = bearer((await createUserWithToken(app, 'admin')).token);
      await app.api.get('/api/jobs').set(admin).expect(200);
      await app.api.put('/api/job/by-admin').set(admin).send({ type: 'run', schedule: '@hourly', image: 'busybox' }).expect(201);
      await app.api.patch('/api/job/by-admin/toggle').set(admin).expect(200);
      await app.api.patch('/api/config/global').set(admin).send({ dockerEvents: true }).expect(200);
      await app.api.delete('/api/job/by-admin').set(admin).expect(200);
    });

    it.each(['user', 'usermanager'] as const)('refuses the %s role on every scheduler operation (403 FORBIDDEN)', async (role) => {
      const token = bearer((await createUserWithToken(app, role)).token);
      for (const req of [
        app.api.get('/api/jobs'), app.api.get('/api/job/nightly'), app.api.put('/api/job/x'), app.api.post('/api/job/nightly/run'),
        app.api.get(`/api/execution/${executionId}`), app.api.get('/api/scheduler/status'), app.api.get('/api/config'), app.api.post('/api/scheduler/stop'),
      ]) {
        const res = await req.set(token).send({ type: 'run', schedule: '@daily', image: 'busybox' }).expect(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
      }
    });

    it('lets a read-only token read, never change (403)', async () => {
      const ro = bearer((await createUserWithToken(app, 'owner', { readOnly: true })).token);
      await app.api.get('/api/jobs').set(ro).expect(200);
      await app.api.get('/api/job/nightly').set(ro).expect(200);
      await app.api.get(`/api/execution/${executionId}`).set(ro).expect(200);
      await app.api.get('/api/config').set(ro).expect(200);
      for (const req of [
        app.api.put('/api/job/nightly').send({ enabled: false }), app.api.post('/api/jobs').send({ name: 'x', type: 'run', schedule: '@daily', image: 'b' }),
        app.api.delete('/api/job/nightly'), app.api.patch('/api/job/nightly/toggle'), app.api.post('/api/job/nightly/run'),
        app.api.post(`/api/execution/${executionId}/stop`), app.api.post('/api/scheduler/stop'), app.api.post('/api/scheduler/reload'),
        app.api.patch('/api/config/global').send({ dockerEvents: false }),
      ]) {
        const res = await req.set(ro).expect(403);
        expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', message: 'This token is read-only' });
      }
      expect((await app.api.get('/api/job/nightly').set(owner).expect(200)).body.enabled).toBe(true);
    });

    it("reloads the INI file for the default tenant's owner only", async () => {
      const res = await app.api.post('/api/scheduler/reload').set(owner).expect(200);
      // This app has no BERTH_SCHEDULER_CONFIG.
      expect(res.body).toMatchObject({ reloaded: false, jobsAdded: 0, jobsUpdated: 0, jobsRemoved: 0, refused: [], errors: [] });
      const admin = bearer((await createUserWithToken(app, 'admin')).token);
      expect((await app.api.post('/api/scheduler/reload').set(admin).expect(403)).body.error.code).toBe('FORBIDDEN');
      const other = await app.api.post('/api/scheduler/reload').set(ownerB).expect(403);
      expect(other.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('default tenant') });
    });
  });

  describe('tenant isolation', () => {
    it("never shows one tenant's jobs or executions to another: 404 as for ones that exist nowhere", async () => {
      expect((await app.api.get('/api/jobs').set(ownerB).expect(200)).body).toEqual({ jobs: [], total: 0, running: 0 });
      for (const req of [app.api.get('/api/job/nightly'), app.api.delete('/api/job/nightly'), app.api.patch('/api/job/nightly/toggle'), app.api.post('/api/job/nightly/run')]) {
        const res = await req.set(ownerB).expect(404);
        expect(res.body.error).toEqual({ code: 'JOB_NOT_FOUND', message: "Job 'nightly' not found", details: expect.objectContaining({ job: 'nightly' }) });
      }
      const unknown = await app.api.get('/api/execution/00000000-0000-4000-8000-000000000000').set(ownerB).expect(404);
      for (const req of [app.api.get(`/api/execution/${executionId}`), app.api.get(`/api/execution/${executionId}/logs`), app.api.post(`/api/execution/${executionId}/stop`)]) {
        const res = await req.set(ownerB).expect(404);
        expect(res.body.error.code).toBe(unknown.body.error.code);
      }
      const config = (await app.api.get('/api/config').set(ownerB).expect(200)).body;
      expect(config.jobs).toEqual({ exec: [], run: [], local: [], service: [] });
      expect(config.global).toEqual({});
      const status = (await app.api.get('/api/scheduler/status').set(ownerB).expect(200)).body;
      expect(status).toMatchObject({ totalJobs: 0, runningJobs: 0, nextJob: null });
    });

    it("lets each tenant use the same job name, each its own; A's job is untouched by B", async () => {
      await app.api.put('/api/job/nightly').set(ownerB).send({ type: 'run', schedule: '@hourly', image: 'alpine' }).expect(201);
      await app.api.post('/api/scheduler/stop').set(ownerB).expect(200);
      const a = (await app.api.get('/api/job/nightly').set(owner).expect(200)).body;
      expect(a).toMatchObject({ schedule: '@daily', image: 'busybox', enabled: true, history: [expect.objectContaining({ executionId })] });
      expect((await app.api.get('/api/job/nightly').set(ownerB).expect(200)).body).toMatchObject({ schedule: '@hourly', image: 'alpine', history: [] });
      expect((await app.api.get('/api/scheduler/status').set(owner).expect(200)).body.running).toBe(true);
      await app.api.delete('/api/job/nightly').set(ownerB).expect(200);
      await app.api.get('/api/job/nightly').set(owner).expect(200);
    });
  });
});
