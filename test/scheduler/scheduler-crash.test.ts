import { activate, startTestApp, TASK_ENV, TEST_REDIS_URL, until, type TestApp } from '../helpers/app';
import { testDocker } from '../helpers/engine';
import { startWorkerFor, type BerthProcess } from '../helpers/processes';
import { BUSYBOX } from '../helpers/scheduler-jobs';

jest.setTimeout(120_000);

/**
 * The crash case on real parts: two `berth worker` processes run a scheduled container job; the one running
 * an execution is SIGKILLed mid-run. The execution ends `crashed`, its container is removed, and the next fire
 * runs on the surviving worker.
 */
describe('a worker killed mid-execution', () => {
  let app: TestApp;
  let instanceId: string;
  const workers: BerthProcess[] = [];
  const docker = testDocker();

  beforeAll(async () => {
    app = await startTestApp({ env: TASK_ENV, workers: false });
    await activate(app);
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(async () => {
    for (const w of workers.splice(0)) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await app.close();
  });

  const startWorker = () => startWorkerFor(app, TEST_REDIS_URL, { ...TASK_ENV, BERTH_SCHEDULER_TICK_MS: '100' }, workers);
  const history = async () => {
    const job = await app.berth.scheduler.schedulerJobs.get(instanceId, 'nightly');
    return (await app.berth.store.executions.history(job.id, 100)).reverse();
  };

  it('ends the execution crashed, removes its container, and runs the next fire', async () => {
    const actor = { instanceId, userId: null, tokenId: null, ip: null };
    await app.berth.scheduler.schedulerJobs.put(actor, 'nightly', { type: 'run', image: BUSYBOX, command: 'sleep 300', schedule: '@every 3s', noOverlap: true });
    await Promise.all([startWorker(), startWorker()]);

    await until(history, (runs) => runs.some((r) => r.status === 'running'));
    const running = (await history()).find((r) => r.status === 'running')!;
    await until(() => docker.listContainers({ filters: { label: [`io.berth.execution=${running.id}`] } }), (list) => list.length === 1);
    const task = await app.berth.store.tasks.get(running.taskId!);
    const victim = workers.find((w) => task!.workerId!.includes(`:${w.child.pid}:`))!;
    expect(victim).toBeDefined();
    victim.child.kill('SIGKILL');
    await victim.exited;

    // The survivor's reaper finds the dead worker's task; the settle hook ends the execution and cleans up.
    const crashed = await until(() => app.berth.store.executions.getById(running.id), (e) => e!.status === 'crashed');
    expect(crashed!.error).toMatch(/crash|lost|died|stale/i);
    await until(() => docker.listContainers({ all: true, filters: { label: [`io.berth.execution=${running.id}`] } }), (list) => list.length === 0);
    const later = await until(history, (runs) => runs.some((r) => r.createdAt > crashed!.endedAt! && r.status === 'running'));
    expect(later.filter((r) => r.status === 'running')).toHaveLength(1);
  });
});
