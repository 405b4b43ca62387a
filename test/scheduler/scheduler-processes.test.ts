import { activate, startTestApp, TASK_ENV, TEST_REDIS_URL, until, type TestApp } from '../helpers/app';
import { startWorkerFor, type BerthProcess } from '../helpers/processes';

jest.setTimeout(120_000);

/**
 * The job clock in real `berth worker` processes sharing one database and Redis (executions run nothing:
 * BERTH_TEST_JOB_RUNTIME=noop): every fire of every job runs once, none is skipped, both processes take fires,
 * and when one is SIGKILLed the other carries on without a gap.
 */
describe('the scheduler across worker processes', () => {
  let app: TestApp;
  let instanceId: string;
  const workers: BerthProcess[] = [];
  const env = { ...TASK_ENV, BERTH_TEST_JOB_RUNTIME: 'noop', BERTH_SCHEDULER_TICK_MS: '100' };

  beforeAll(async () => {
    app = await startTestApp({ env, workers: false });
    await activate(app);
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(async () => {
    for (const w of workers.splice(0)) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await app.close();
  });

  const startWorker = () => startWorkerFor(app, TEST_REDIS_URL, env, workers);

  /** Every execution of the job, oldest fire first. */
  const fires = async (name: string) => {
    const job = await app.berth.scheduler.schedulerJobs.get(instanceId, name);
    return (await app.berth.store.executions.history(job.id, 10_000)).reverse();
  };

  it('runs each fire once, with no gaps, and goes on when one process is killed', async () => {
    const actor = { instanceId, userId: null, tokenId: null, ip: null };
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const name of names) await app.berth.scheduler.schedulerJobs.put(actor, name, { type: 'run', image: 'berth/busybox:1', schedule: '* * * * * *', historyLimit: 1000 });
    const [first] = await Promise.all([startWorker(), startWorker()]);

    await until(() => fires('a'), (runs) => runs.filter((r) => r.status === 'success').length >= 4);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    await until(() => fires('a'), (runs) => runs.some((r) => (r.scheduledFor ?? 0) > killedAt + 3000 && r.status === 'success'));

    for (const name of names) {
      const runs = (await fires(name)).filter((r) => r.trigger === 'schedule');
      const times = runs.map((r) => r.scheduledFor as number);
      // One execution per second, none twice (the unique index would refuse it) and none skipped. The first fire
      // came due while the workers were starting: it ran late, once, and the clock went on from then.
      expect(new Set(times).size).toBe(times.length);
      for (let i = 2; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000);
      expect(runs.every((r) => r.status !== 'missed')).toBe(true);
    }
    const tasks = await app.berth.db('tasks').where({ type: 'scheduler.run' }).whereNotNull('worker_id').distinct('worker_id');
    expect(tasks.length).toBe(2);
  });
});
