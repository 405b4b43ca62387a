import { randomUUID } from 'node:crypto';
import { APP_TASK_TYPE } from '../../services/apps/app-tasks';
import { createLogger } from '../../services/core/logger';
import { TaskCatalogue } from '../../services/tasks/task-catalogue';
import { bindHandlers } from '../../services/tasks/task-handler';
import { activate, bearer, createUserWithToken, startTestApp, TASK_ENV, waitForTask, type TestApp, createTask } from '../helpers/app';

describe('tasks through the box API, with workers in process', () => {
  let app: TestApp;
  let token: string;
  let instanceId: string;
  beforeAll(async () => {
    app = await startTestApp({ env: TASK_ENV, workers: true });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(() => app.close());

  const create = (type: string, args: Record<string, unknown> = {}, extra: { objectKey?: string; timeoutMs?: number } = {}) =>
    createTask(app.berth, { instanceId, type, args, ...extra });

  it('runs a task to success and reports it in seed 001 shape', async () => {
    const task = await create('_noop');
    const done = await waitForTask(app, token, task.id);
    expect(done).toMatchObject({ id: task.id, type: '_noop', active: false, pending: false, success: true, error: null, percent: 100, result: { ok: true } });
    expect(done.startTime).toBeGreaterThanOrEqual(done.creationTime);
    expect(done.endTime).toBeGreaterThanOrEqual(done.startTime);
  });

  it('persists progress and logs, tails logs, and streams them live over SSE', async () => {
    const task = await create('_progress', { steps: 4, stepMs: 150 });
    const stream = app.api.get(`/api/v1/tasks/${task.id}/logstream`).set(bearer(token)).buffer(true).parse((res, cb) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => cb(null, text));
    });
    const midway = await waitForTask(app, token, task.id, (t) => t.percent >= 50);
    expect(midway.message).toMatch(/^step \d of 4$/);
    const sse = await stream.expect(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    const frames = (sse.body as string).split('\n\n').filter(Boolean);
    const lines = frames.filter((f) => f.startsWith('id: ')).map((f) => JSON.parse(f.split('data: ')[1]).message);
    expect(lines).toEqual(['step 1', 'step 2', 'step 3', 'step 4']);
    const end = frames.find((f) => f.startsWith('event: end'))!;
    expect(JSON.parse(end.split('data: ')[1])).toMatchObject({ id: task.id, success: true, percent: 100 });

    const logs = await app.api.get(`/api/v1/tasks/${task.id}/logs`).set(bearer(token)).expect(200);
    expect(logs.headers['content-type']).toMatch(/^text\/plain/);
    expect(logs.text.trim().split('\n').map((l) => l.split(' ').slice(1).join(' '))).toEqual(['step 1', 'step 2', 'step 3', 'step 4']);
    const tail = await app.api.get(`/api/v1/tasks/${task.id}/logs?lines=2`).set(bearer(token)).expect(200);
    expect(tail.text.trim().split('\n')).toHaveLength(2);
    expect(tail.text).toContain('step 4');
  });

  it('refuses lines out of range and ids that are not task ids', async () => {
    const task = await create('_noop');
    for (const lines of ['0', '10001', '-1', 'abc']) {
      await app.api.get(`/api/v1/tasks/${task.id}/logs?lines=${lines}`).set(bearer(token)).expect(400);
    }
    await app.api.get('/api/v1/tasks/abc').set(bearer(token)).expect(400);
    await app.api.get('/api/v1/tasks/999999').set(bearer(token)).expect(404);
    await app.api.get('/api/v1/tasks/999999/logs').set(bearer(token)).expect(404);
    await app.api.get('/api/v1/tasks/999999/logstream').set(bearer(token)).expect(404);
    await app.api.post('/api/v1/tasks/999999/stop').set(bearer(token)).expect(404);
  });

  it('ends a throwing handler with code failed and its message', async () => {
    const task = await create('_fail', { message: 'disk on fire' });
    const done = await waitForTask(app, token, task.id);
    expect(done).toMatchObject({ success: false, error: { code: 'failed', message: 'disk on fire' } });
  });

  it('times out a handler that never returns', async () => {
    const task = await create('_sleep', { ms: 600_000, ignoreSignal: true }, { timeoutMs: 400 });
    const done = await waitForTask(app, token, task.id);
    expect(done).toMatchObject({ success: false, error: { code: 'timeout' } });
  });

  it('stops an active task, and answers 409 to a second stop', async () => {
    const task = await create('_sleep', { ms: 600_000 });
    await waitForTask(app, token, task.id, (t) => t.active);
    await app.api.post(`/api/v1/tasks/${task.id}/stop`).set(bearer(token)).expect(204);
    const second = await app.api.post(`/api/v1/tasks/${task.id}/stop`).set(bearer(token)).expect(409);
    expect(second.body.code).toBe('CONFLICT');
    const done = await waitForTask(app, token, task.id);
    expect(done).toMatchObject({ success: false, error: { code: 'stopped' } });
    await app.api.post(`/api/v1/tasks/${task.id}/stop`).set(bearer(token)).expect(409);
  });

  it('runs tasks on one object one at a time, in order', async () => {
    const objectKey = `app:${randomUUID()}`;
    const first = await create('_sleep', { ms: 400 }, { objectKey });
    const second = await create('_sleep', { ms: 10 }, { objectKey });
    const [a, b] = [await waitForTask(app, token, first.id), await waitForTask(app, token, second.id)];
    expect(a.success && b.success).toBe(true);
    expect(b.startTime).toBeGreaterThanOrEqual(a.endTime);
  });

  it('refuses a second task on an object for refuse types, even when both are created at once', async () => {
    const objectKey = `app:${randomUUID()}`;
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => create('_exclusive', { ms: 300 }, { objectKey })));
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.status)).toEqual([409, 409, 409, 409]);
    const first = (created[0] as PromiseFulfilledResult<{ id: number }>).value;
    expect((await waitForTask(app, token, first.id)).success).toBe(true);
    // Once it has ended, the object is free again.
    const next = await create('_exclusive', { ms: 10 }, { objectKey });
    expect((await waitForTask(app, token, next.id)).success).toBe(true);
  });

  it('lists newest first, filters by type, pages, and shows nothing of another tenant', async () => {
    const listed = await app.api.get('/api/v1/tasks?per_page=3').set(bearer(token)).expect(200);
    const ids = listed.body.tasks.map((t: { id: number }) => t.id);
    expect(ids).toHaveLength(3);
    expect([...ids].sort((x, y) => y - x)).toEqual(ids);
    const page2 = await app.api.get('/api/v1/tasks?per_page=3&page=2').set(bearer(token)).expect(200);
    expect(page2.body.tasks[0].id).toBeLessThan(ids[2]);
    const fails = await app.api.get('/api/v1/tasks?type=_fail').set(bearer(token)).expect(200);
    expect(fails.body.tasks.every((t: { type: string }) => t.type === '_fail')).toBe(true);
    await app.api.get('/api/v1/tasks?per_page=0').set(bearer(token)).expect(400);

    const other = `ins-${randomUUID()}`;
    await app.berth.store.instances.insert({ id: other, domain: 'other.example', isDefault: false, createdAt: new Date().toISOString() });
    const stranger = await createUserWithToken(app, 'owner', { instanceId: other });
    const theirs = await createTask(app.berth, { instanceId: other, type: '_noop' });
    const visible = await app.api.get('/api/v1/tasks').set(bearer(stranger.token)).expect(200);
    expect(visible.body.tasks.map((t: { id: number }) => t.id)).toEqual([theirs.id]);
    await app.api.get(`/api/v1/tasks/${ids[0]}`).set(bearer(stranger.token)).expect(404);
    await app.api.post(`/api/v1/tasks/${ids[0]}/stop`).set(bearer(stranger.token)).expect(404);
    await app.api.get(`/api/v1/tasks/${theirs.id}`).set(bearer(token)).expect(404);
  });

  it('needs the admin role', async () => {
    const user = await createUserWithToken(app, 'user');
    await app.api.get('/api/v1/tasks').set(bearer(user.token)).expect(403);
  });

  it('removes finished tasks past retention', async () => {
    const task = await create('_noop');
    await waitForTask(app, token, task.id);
    expect(await app.berth.tasks.removeEndedBefore(Date.now() + 1000)).toBeGreaterThan(0);
    await app.api.get(`/api/v1/tasks/${task.id}`).set(bearer(token)).expect(404);
  });
});

describe('tasks without workers', () => {
  let app: TestApp;
  let token: string;
  let instanceId: string;
  beforeAll(async () => {
    app = await startTestApp({ env: TASK_ENV });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(() => app.close());

  it('stops a pending task at once', async () => {
    const task = await createTask(app.berth, { instanceId, type: '_noop' });
    const pending = await app.api.get(`/api/v1/tasks/${task.id}`).set(bearer(token)).expect(200);
    expect(pending.body).toMatchObject({ pending: true, active: false });
    await app.api.post(`/api/v1/tasks/${task.id}/stop`).set(bearer(token)).expect(204);
    const stopped = await app.api.get(`/api/v1/tasks/${task.id}`).set(bearer(token)).expect(200);
    expect(stopped.body).toMatchObject({ pending: false, error: { code: 'stopped' } });
    await app.api.post(`/api/v1/tasks/${task.id}/stop`).set(bearer(token)).expect(409);
  });

  it('refuses unknown types', async () => {
    await expect(createTask(app.berth, { instanceId, type: 'nope' })).rejects.toMatchObject({ status: 400 });
  });
});

describe('task set-up rules', () => {
  it('has no test task types unless BERTH_TEST_TASKS=1', async () => {
    const app = await startTestApp();
    try {
      const instanceId = (await app.berth.store.instances.findDefault())!.id;
      await expect(createTask(app.berth, { instanceId, type: '_noop' })).rejects.toMatchObject({ status: 400 });
    } finally {
      await app.close();
    }
  });

  it('fails start-up when a declared task type has no handler', () => {
    const catalogue = new TaskCatalogue({ logger: createLogger('silent') }).add(APP_TASK_TYPE);
    expect(() => bindHandlers(catalogue, [])).toThrow('task types without a handler: app');
  });

  it('answers 503 and stores nothing when Redis is away', async () => {
    const app = await startTestApp({ env: TASK_ENV, redisUrl: 'redis://127.0.0.1:1' });
    try {
      const instanceId = (await app.berth.store.instances.findDefault())!.id;
      await expect(createTask(app.berth, { instanceId, type: '_noop' })).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(Number((await app.berth.db('tasks').count({ n: '*' }))[0].n)).toBe(0);
    } finally {
      await app.close();
    }
  });
});
