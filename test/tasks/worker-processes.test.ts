import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activate, startTestApp, TASK_ENV, TEST_REDIS_URL, waitForTask, type TestApp, createTask } from '../helpers/app';
import { freePort, PrivateRedis, startBerthProcess, type BerthProcess } from '../helpers/processes';

// Each test starts real worker processes; on a loaded 2-core CI machine that takes far longer than in-process tests.
jest.setTimeout(120_000);

/** Real `berth worker` processes against the test app's database and Redis. */
describe('task workers as separate processes', () => {
  let app: TestApp;
  let token: string;
  let instanceId: string;
  const workers: BerthProcess[] = [];
  beforeEach(async () => {
    app = await startTestApp({ env: TASK_ENV });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await app.close();
  });

  const startWorker = async (env: Record<string, string> = {}) => {
    const worker = await startBerthProcess(
      ['worker'],
      {
        ...TASK_ENV,
        DATABASE_URL: app.databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        BERTH_REDIS_PREFIX: app.berth.config.redisPrefix,
        BERTH_DATA_DIR: app.dataDir,
        ...env,
      },
      'task workers started',
    );
    workers.push(worker);
    return worker;
  };
  const create = (type: string, args: Record<string, unknown> = {}) => createTask(app.berth, { instanceId, type, args });
  const row = (id: number) => app.berth.store.tasks.get(id);

  it('two workers share the tasks and run each exactly once', async () => {
    const single = { BERTH_TASK_CONCURRENCY: '_sleep=1' };
    await Promise.all([startWorker(single), startWorker(single)]);
    // One worker is busy with a long task, so the other must take the short one.
    const long = await create('_sleep', { ms: 3000 });
    await waitForTask(app, token, long.id, (t) => t.active);
    const short = await create('_sleep', { ms: 50 });
    expect((await waitForTask(app, token, short.id)).success).toBe(true);
    expect((await row(long.id))!.state).toBe('active');
    expect((await row(short.id))!.workerId).not.toBe((await row(long.id))!.workerId);

    // Both race for a burst of tasks; every task runs exactly once.
    const burst = await Promise.all(Array.from({ length: 30 }, () => create('_noop')));
    for (const task of burst) expect((await waitForTask(app, token, task.id)).success).toBe(true);
    const rows = await Promise.all(burst.map((t) => row(t.id)));
    expect(rows.map((r) => r!.attempt)).toEqual(burst.map(() => 1));
  });

  it('after SIGKILL of a worker, ends its task crashed, or re-runs an idempotent one to success', async () => {
    const first = await startWorker();
    const fragile = await create('_progress', { steps: 600, stepMs: 100 });
    const idempotent = await create('_sleep', { ms: 1500 });
    await waitForTask(app, token, fragile.id, (t) => t.active);
    await waitForTask(app, token, idempotent.id, (t) => t.active);
    first.child.kill('SIGKILL');
    await first.exited;

    await startWorker();
    const crashed = await waitForTask(app, token, fragile.id);
    expect(crashed).toMatchObject({ active: false, success: false, error: { code: 'crashed' } });
    const rerun = await waitForTask(app, token, idempotent.id);
    expect(rerun.success).toBe(true);
    expect((await row(idempotent.id))!.attempt).toBe(2);
  });

  it('settles tasks left active by a dead process when a worker starts', async () => {
    const doomed = await startWorker();
    const task = await create('_crash');
    await doomed.exited; // the handler SIGKILLs its own process
    expect((await row(task.id))!.state).toBe('active');
    await startWorker();
    expect(await waitForTask(app, token, task.id)).toMatchObject({ error: { code: 'crashed' } });
  });

  it('drains on SIGTERM: hands back what does not finish within the grace period', async () => {
    const worker = await startWorker({ BERTH_SHUTDOWN_GRACE_SECS: '1' });
    const quick = await create('_sleep', { ms: 300 });
    const idempotent = await create('_sleep', { ms: 4000 });
    const fragile = await create('_progress', { steps: 600, stepMs: 100 });
    for (const t of [quick, idempotent, fragile]) await waitForTask(app, token, t.id, (s) => s.active || s.success);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);

    expect((await waitForTask(app, token, quick.id)).success).toBe(true);
    expect((await row(idempotent.id))!.state).toBe('pending');
    expect(await waitForTask(app, token, fragile.id)).toMatchObject({ error: { code: 'crashed' } });

    await startWorker();
    expect((await waitForTask(app, token, idempotent.id)).success).toBe(true);
  });
});

describe('Redis going away and coming back', () => {
  it('keeps reads working, refuses new tasks with 503, and resumes by itself', async () => {
    const redis = new PrivateRedis(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'berth-redis-restart-')));
    await redis.start();
    const app = await startTestApp({ env: TASK_ENV, redisUrl: redis.url, workers: true });
    try {
      const token = (await activate(app)).token;
      const instanceId = (await app.berth.store.instances.findDefault())!.id;
      const task = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 2000 } });
      await waitForTask(app, token, task.id, (t) => t.active);

      await redis.stop();
      const during = await app.api.get(`/api/v1/tasks/${task.id}`).set('Authorization', `Bearer ${token}`).expect(200);
      expect(during.body.active).toBe(true);
      await expect(createTask(app.berth, { instanceId, type: '_noop' })).rejects.toMatchObject({ status: 503 });
      await new Promise((r) => setTimeout(r, 500));
      await redis.start();

      expect((await waitForTask(app, token, task.id)).success).toBe(true);
      // Workers consume again without a restart.
      let after;
      for (let i = 0; i < 100 && !after; i++) {
        after = await createTask(app.berth, { instanceId, type: '_noop' }).catch(() => undefined);
        if (!after) await new Promise((r) => setTimeout(r, 100));
      }
      expect((await waitForTask(app, token, after!.id)).success).toBe(true);
    } finally {
      await app.close();
      await redis.stop();
    }
  });
});
