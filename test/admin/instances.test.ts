import fs from 'node:fs';
import path from 'node:path';
import { activate, bearer, OWNER, startTestApp, until, type TestApp, createTask } from '../helpers/app';
import { createLogger } from '../../services/core/logger';

const PASSPHRASE = 'correct horse battery staple';
const basic = (passphrase: string) => ({ Authorization: `Basic ${Buffer.from(`admin:${passphrase}`).toString('base64')}` });
const ADMIN = basic(PASSPHRASE);

/** The admin API's tenant lifecycle, and what it does to the tenants' box API. */
describe('admin API: instances', () => {
  let app: TestApp;
  let skew = 0;
  /** What the app logs, one JSON line each: the deletion's outcome is only there once its task row is gone. */
  const logs: string[] = [];
  beforeAll(async () => {
    // The clock runs `skew` ms ahead of the real one, for the expiry of codes.
    app = await startTestApp({ env: { BERTH_TEST_TASKS: '1', BERTH_TASK_HEARTBEAT_MS: '200', BERTH_TASK_STALE_MS: '1500' }, workers: true, clock: () => new Date(Date.now() + skew),
      logger: createLogger('info', { write: (line: string) => void logs.push(line) }),
    });
    await app.berth.admin.passphrase.set(PASSPHRASE);
  });
  afterAll(() => app.close());

  const create = (domain: string, extra: Record<string, unknown> = {}) =>
    app.admin.post('/instances').set(ADMIN).send({ domain, email: `owner@${domain}`, ...extra });
  /** The invited owner finishes their account through the tenant's own box API and gets a token. */
  const onboard = async (domain: string, inviteLink: string) => {
    const inviteToken = new URL(inviteLink).searchParams.get('inviteToken');
    const res = await app.api.post('/api/v1/cloudron/setup_account').set('Host', domain)
      .send({ inviteToken, username: 'owner', password: 'Sup3r-secret-pw!' })
      .expect(200);
    return res.body.token as string;
  };

  it('needs the passphrase: 401 without credentials, 403 with a wrong one, and rotation needs no restart', async () => {
    const missing = await app.admin.get('/instances').expect(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Basic/);
    expect(missing.body.errors[0]).toMatchObject({ status: '401', code: 'UNAUTHORIZED' });
    await app.admin.get('/instances').set(basic('wrong passphrase!')).expect(403);
    await app.admin.get('/instances').set(ADMIN).expect(200);

    await app.berth.admin.passphrase.set('a brand new passphrase');
    await app.admin.get('/instances').set(ADMIN).expect(403);
    await app.admin.get('/instances').set(basic('a brand new passphrase')).expect(200);
    await app.berth.admin.passphrase.set(PASSPHRASE);
    await app.admin.get('/instances').set(ADMIN).expect(200);
  });

  it('creates, lists, counts, reads and changes instances, never showing a secret', async () => {
    const created = await create('alpha.admin.test', { locale: 'fr', quotas: { apps: 3 } }).expect(201);
    expect(created.body.data).toMatchObject({ type: 'instances', attributes: { domain: 'alpha.admin.test', locale: 'fr', context: 'default', quotas: { apps: 3 }, blocked: false } });
    // The owner's link goes to the tenant's own domain, where its box API answers.
    expect(created.body.meta.invite_link).toMatch(/^https:\/\/alpha\.admin\.test\/setupaccount\.html\?inviteToken=/);
    await create('alpha.admin.test').expect(409);
    await create('not a domain').expect(400);
    await create('beta.admin.test', { context: 'nope' }).expect(400);
    await app.admin.post('/instances').set(ADMIN).send({ domain: 'x.admin.test', email: 'a@b.c', passphrase: 'x' }).expect(400);

    for (const name of ['b1', 'b2', 'b3']) await create(`${name}.admin.test`).expect(201);
    const count = (await app.admin.get('/instances/count').set(ADMIN).expect(200)).body.count;
    expect(count).toBe(5); // the default instance and four new ones
    const first = await app.admin.get('/instances?page[limit]=2').set(ADMIN).expect(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.meta.count).toBe(5);
    expect(first.body.links.next).toBe('/instances?page[limit]=2&page[skip]=2');
    const last = await app.admin.get('/instances?page[limit]=2&page[skip]=4').set(ADMIN).expect(200);
    expect(last.body.data.map((d: { attributes: { domain: string } }) => d.attributes.domain)).toEqual(['b3.admin.test']);

    const patched = await app.admin.patch('/instances/b1.admin.test').set(ADMIN).send({ email: 'new@b1.admin.test', quotas: { apps: 1, memory: 1024 ** 3 } }).expect(200);
    expect(patched.body.data.attributes).toMatchObject({ email: 'new@b1.admin.test', quotas: { apps: 1, memory: 1024 ** 3 } });
    await app.admin.patch('/instances/b1.admin.test').set(ADMIN).send({ quotas: { seats: 3 } }).expect(400);
    await app.admin.get('/instances/nowhere.admin.test').set(ADMIN).expect(404);
    expect(JSON.stringify(created.body.data)).not.toMatch(/hash|secret|password/i);
  });

  it('gives each tenant its own box API: onboarding, tokens minted by the operator, sessions, activity', async () => {
    const created = await create('gamma.admin.test').expect(201);
    const ownerToken = await onboard('gamma.admin.test', created.body.meta.invite_link);
    const profile = await app.api.get('/api/v1/profile').set(bearer(ownerToken)).expect(200);
    expect(profile.body).toMatchObject({ username: 'owner', role: 'owner' });
    // The tenant is activated: no first-run setup on its domain.
    await app.api.post('/api/v1/cloudron/activate').set('Host', 'gamma.admin.test').send({ ...OWNER, username: 'intruder' }).expect(409);

    const activity = await app.admin.get('/instances/gamma.admin.test/last-activity').set(ADMIN).expect(200);
    expect(activity.body['last-activity']).toBe(new Date().toISOString().slice(0, 10));

    // The operator acts inside the tenant with a short-lived, audited token.
    const minted = await app.admin.post('/instances/gamma.admin.test/token').set(ADMIN).send({ expires_in: 600 }).expect(201);
    expect(new Date(minted.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 500_000);
    const users = await app.api.get('/api/v1/users').set(bearer(minted.body.token)).expect(200);
    expect(users.body.users.map((u: { username: string }) => u.username)).toEqual(['owner']);
    const readOnly = await app.admin.post('/instances/gamma.admin.test/token').set(ADMIN).send({ read_only: true }).expect(201);
    await app.api.post('/api/v1/groups').set(bearer(readOnly.body.token)).send({ name: 'nope' }).expect(403);
    const events = await app.api.get('/api/v1/eventlog?per_page=100').set(bearer(ownerToken)).expect(200);
    expect(events.body.eventlogs.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['instance.create', 'instance.token']));

    // Log everyone out: login tokens die, API tokens live.
    await app.admin.delete('/instances/gamma.admin.test/sessions').set(ADMIN).expect(204);
    await app.api.get('/api/v1/profile').set(bearer(ownerToken)).expect(401);
    await app.api.get('/api/v1/profile').set(bearer(minted.body.token)).expect(200);
    expect((await app.admin.delete('/oauth/gamma.admin.test/clients?Kind=api').set(ADMIN).expect(200)).body).toEqual({ count: 2 }); // minted and read-only
    await app.api.get('/api/v1/profile').set(bearer(minted.body.token)).expect(401);
    expect((await app.admin.delete('/oauth/gamma.admin.test/clients?Kind=api').set(ADMIN).expect(200)).body).toEqual({ count: 0 });
    await app.admin.delete('/oauth/gamma.admin.test/clients?Kind=robots').set(ADMIN).expect(400);
    // Without Kind (as cozy-stack): every token of the tenant, of both kinds, counted.
    const again = await app.admin.post('/instances/gamma.admin.test/token').set(ADMIN).expect(201);
    const login = await app.api.post('/api/v1/cloudron/login').set('Host', 'gamma.admin.test').send({ username: 'owner', password: 'Sup3r-secret-pw!' }).expect(200);
    expect((await app.admin.delete('/oauth/gamma.admin.test/clients').set(ADMIN).expect(200)).body).toEqual({ count: 2 });
    for (const t of [again.body.token, login.body.token]) await app.api.get('/api/v1/profile').set(bearer(t)).expect(401);
  });

  it('serves a Host in the tenant of exactly that domain before the tenant of its parent domain', async () => {
    // The parent first, and before in name order: a lookup in the database's order (by insertion or by the index)
    // would find it first.
    await create('hosts.admin.test').expect(201);
    const child = await create('www.hosts.admin.test').expect(201);
    await onboard('www.hosts.admin.test', child.body.meta.invite_link);
    const login = (host: string) => app.api.post('/api/v1/cloudron/login').set('Host', host).send({ username: 'owner', password: 'Sup3r-secret-pw!' });
    await login('www.hosts.admin.test').expect(200);
    // A name under the parent (not itself a tenant) is the parent's, whose owner has no account yet.
    await login('other.hosts.admin.test').expect(401);
  });

  it('runs a blocked tenant\'s running and queued tasks to the end (the documented policy)', async () => {
    const instanceId = (await create('eta.admin.test').expect(201)).body.data.id;
    // Two tasks on one object: the second waits in the queue for the first.
    const running = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 1500 }, objectKey: 'eta' });
    const queued = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 50 }, objectKey: 'eta' });
    await until(() => app.berth.store.tasks.get(running.id), (t) => t?.state === 'active');
    await app.admin.patch('/instances/eta.admin.test').set(ADMIN).send({ blocked: true, blocking_reason: 'PAYMENT_FAILED' }).expect(200);
    expect((await app.berth.store.tasks.get(queued.id))!.state).toBe('pending');
    for (const task of [running, queued]) {
      expect(await until(() => app.berth.store.tasks.get(task.id), (t) => t?.state !== 'pending' && t?.state !== 'active')).toMatchObject({ state: 'success' });
    }
    expect((await app.admin.get('/instances/eta.admin.test').set(ADMIN).expect(200)).body.data.attributes.blocked).toBe(true);
  });

  it('blocks and unblocks a tenant: 402 for payment, 503 otherwise, with the reason', async () => {
    const created = await create('delta.admin.test').expect(201);
    const token = (await app.admin.post('/instances/delta.admin.test/token').set(ADMIN).expect(201)).body.token;
    await app.admin.patch('/instances/delta.admin.test').set(ADMIN).send({ blocked: true, blocking_reason: 'PAYMENT_FAILED' }).expect(200);
    const blocked = await app.api.get('/api/v1/profile').set(bearer(token)).expect(402);
    expect(blocked.body).toMatchObject({ code: 'INSTANCE_BLOCKED', message: 'This instance is blocked (PAYMENT_FAILED)' });
    await app.api.get('/api/v1/cloudron/status').set('Host', 'delta.admin.test').expect(402);
    await app.admin.patch('/instances/delta.admin.test').set(ADMIN).send({ blocking_reason: 'MOVING' }).expect(200);
    await app.api.get('/api/v1/profile').set(bearer(token)).expect(503);
    await app.admin.patch('/instances/delta.admin.test').set(ADMIN).send({ blocked: false }).expect(200);
    await app.api.get('/api/v1/profile').set(bearer(token)).expect(200);
    expect(created.body.data.attributes.blocked).toBe(false);
    // Other tenants never noticed.
    const owner = await activate(app);
    await app.api.get('/api/v1/profile').set(bearer(owner.token)).expect(200);
  });

  it('issues single-use codes', async () => {
    await create('epsilon.admin.test').expect(201);
    const { session_code: code } = (await app.admin.post('/instances/epsilon.admin.test/session_code').set(ADMIN).expect(200)).body;
    expect((await app.admin.post('/instances/epsilon.admin.test/session_code/check').set(ADMIN).send({ session_code: code }).expect(200)).body).toEqual({ valid: true });
    expect((await app.admin.post('/instances/epsilon.admin.test/session_code/check').set(ADMIN).send({ session_code: code }).expect(200)).body).toEqual({ valid: false });
    expect((await app.admin.post('/instances/alpha.admin.test/session_code/check').set(ADMIN).send({ session_code: 'made-up' }).expect(200)).body).toEqual({ valid: false });
    // Short-lived: 15 minutes.
    const codeAt = async (ms: number) => {
      const { session_code: fresh } = (await app.admin.post('/instances/epsilon.admin.test/session_code').set(ADMIN).expect(200)).body;
      skew = ms;
      try {
        return (await app.admin.post('/instances/epsilon.admin.test/session_code/check').set(ADMIN).send({ session_code: fresh }).expect(200)).body.valid;
      } finally {
        skew = 0;
      }
    };
    expect(await codeAt(15 * 60_000 - 5000)).toBe(true);
    expect(await codeAt(15 * 60_000 + 1000)).toBe(false);
    expect((await app.admin.post('/instances/epsilon.admin.test/magic_link').set(ADMIN).expect(200)).body.code).toMatch(/^[\w-]{32}$/);
    expect((await app.admin.post('/instances/epsilon.admin.test/email_verified_code').set(ADMIN).expect(200)).body.email_verified_code).toMatch(/^[\w-]{32}$/);
  });

  it('lists contexts, checks consistency and sends notifications', async () => {
    expect((await app.admin.get('/instances/contexts').set(ADMIN).expect(200)).body).toEqual([{ context: 'default', config: {} }]);
    await app.admin.get('/instances/contexts/default').set(ADMIN).expect(200);
    await app.admin.get('/instances/contexts/gold').set(ADMIN).expect(404);
    const fsck = await app.admin.get('/instances/alpha.admin.test/fsck').set(ADMIN).expect(200);
    expect(fsck.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(fsck.text).toBe('');
    const fix = await app.admin.post('/instances/alpha.admin.test/fixers/orphan-containers').set(ADMIN).send({}).expect(200);
    expect(fix.body).toEqual({ domain: 'alpha.admin.test', dry_run: true, fixed: [] });
    await app.admin.post('/instances/alpha.admin.test/fixers/everything').set(ADMIN).send({}).expect(400);
    const sent = await app.admin.post('/instances/alpha.admin.test/notifications').set(ADMIN).send({ notification: { title: 'Maintenance tonight', message: '22:00 UTC' } }).expect(201);
    expect(sent.body).toMatchObject({ title: 'Maintenance tonight', id: expect.any(String) });
    expect((await app.admin.get('/instances/with-app-version/io.berth.staticweb/1.0.0').set(ADMIN).expect(200)).body).toEqual({ instances: [] });
  });

  it('deletes a tenant with a task: its box API goes away, then everything it owned', async () => {
    const created = await create('zeta.admin.test').expect(201);
    const token = await onboard('zeta.admin.test', created.body.meta.invite_link);
    const instanceId = created.body.data.id;
    // A task of the tenant still running is stopped before anything is removed.
    const sleeping = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 120_000 } });
    await until(() => app.berth.store.tasks.get(sleeping.id), (t) => t?.state === 'active');
    // Something of the tenant's on its (default) backup target: it goes with the tenant.
    const backups = path.join(app.dataDir, 'backups', instanceId);
    fs.mkdirSync(path.join(backups, 'app-x'), { recursive: true });
    fs.writeFileSync(path.join(backups, 'app-x', 'data.tar.gz'), 'x');
    const res = await app.admin.delete('/instances/zeta.admin.test').set(ADMIN).expect(202);
    expect(res.body.task_id).toEqual(expect.any(Number));
    await app.api.get('/api/v1/profile').set(bearer(token)).expect(401);
    for (;;) {
      const gone = await app.admin.get('/instances/zeta.admin.test').set(ADMIN);
      if (gone.status === 404) break;
      expect(gone.body.data.attributes.deleting).toBe(true);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await app.berth.store.users.list({ instanceId, page: 1, perPage: 10 })).toEqual([]);
    const deleted = logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'instance deleted' && line.instanceId === instanceId);
    expect(deleted).toEqual([expect.objectContaining({ stoppedTasks: 1, attempt: 1 })]);
    expect(fs.existsSync(backups)).toBe(false);
    await app.api.get('/api/v1/profile').set(bearer(token)).expect(401);
    await app.admin.get(`/tasks/${res.body.task_id}`).set(ADMIN).expect(404);
    await app.admin.delete('/instances/zeta.admin.test').set(ADMIN).expect(404);
    // The default instance (it has no domain: it is addressed by id) is never deleted.
    const defaults = await app.admin.get('/instances?page[limit]=1').set(ADMIN).expect(200);
    expect(defaults.body.data[0].attributes.is_default).toBe(true);
    await app.admin.get(defaults.body.data[0].links.self).set(ADMIN).expect(200);
    await app.admin.delete(defaults.body.data[0].links.self).set(ADMIN).expect(403);
  });

  // Taking a snapshot of a test worker's heap is slow on a loaded machine.
  it('serves a heap snapshot to the operator only', async () => {
    await app.admin.get('/tools/pprof/heap').expect(401);
    // A heap snapshot of a jest worker that has run other test files can pass superagent's 200 MB default.
    const res = await app.admin.get('/tools/pprof/heap').set(ADMIN).maxResponseSize(Number.MAX_SAFE_INTEGER).buffer(true).parse((r, done) => {
      let head = '';
      r.on('data', (chunk: Buffer) => {
        if (head.length < 100) head += chunk.toString('utf8');
      });
      r.on('end', () => done(null, head));
    }).expect(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.body).toMatch(/^\{"snapshot":/);
  }, 180_000);
});

describe('admin API: passphrase guessing', () => {
  it('answers 429 once too many wrong passphrases came in', async () => {
    const app = await startTestApp({ loginLimits: { perUsername: 3, perAddress: 3, windowSecs: 60 } });
    try {
      await app.berth.admin.passphrase.set(PASSPHRASE);
      for (let i = 0; i < 3; i++) await app.admin.get('/instances/count').set(basic(`guess number ${i}`)).expect(403);
      const limited = await app.admin.get('/instances/count').set(basic('guess number 4')).expect(429);
      expect(limited.headers['retry-after']).toMatch(/^\d+$/);
      // Box API logins keep their own counts.
      await app.api.get('/api/v1/cloudron/status').expect(200);
    } finally {
      await app.close();
    }
  });
});
