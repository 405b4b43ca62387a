import { JobClock } from '../../services/scheduler/job-clock';
import type { Actor } from '../../services/eventlog/eventlog-service';
import { activate, startTestApp, type TestApp } from '../helpers/app';

/**
 * The job clock against the real database and Redis, on a clock the test moves: a fire is taken once however many
 * clocks race for it, a fire a little late runs once, one found past the grace window is recorded as missed, and a
 * stopped scheduler or a disabled job takes its fires without running them. No worker runs: executions stay queued.
 */
describe('job clock', () => {
  let app: TestApp;
  let now = Date.parse('2026-12-07T10:00:00.000Z');
  let actor: Actor;

  beforeAll(async () => {
    // The no-op job runtime: the clock is under test, not the engine (a `run` job's image is checked on create).
    app = await startTestApp({ workers: false, clock: () => new Date(now), env: { BERTH_TEST_TASKS: '1', BERTH_TEST_JOB_RUNTIME: 'noop' } });
    await activate(app);
    const instanceId = (await app.berth.store.instances.findDefault())!.id;
    actor = { instanceId, userId: null, tokenId: null, ip: null };
  });
  afterAll(() => app.close());

  const jobs = () => app.berth.scheduler.schedulerJobs;
  const clock = () => app.berth.scheduler.jobClock;
  const history = async (name: string) => (await jobs().details(actor.instanceId, name)).history;

  it('computes the next run and fires a due job once however many clocks tick at once', async () => {
    const { job, created } = await jobs().put(actor, 'every10', { type: 'run', image: 'berth/busybox:1', schedule: '@every 10s' });
    expect(created).toBe(true);
    expect(job.nextRun).toBe(now + 10_000);
    now += 10_000;
    // A second process's clock on the same database.
    const { scheduler, store, logger } = app.berth;
    const second = new JobClock({
      jobs: store.jobs, transactor: store, times: scheduler.schedulerTimes, executions: scheduler.schedulerExecutions, control: scheduler.schedulerControl,
      clock: () => new Date(now), logger,
    });
    const taken = await Promise.all([clock().tick(), second.tick(), clock().tick()]);
    expect(taken.reduce((a, b) => a + b, 0)).toBe(1);
    const runs = await history('every10');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'schedule', status: 'queued', scheduledFor: now });
    expect((await jobs().get(actor.instanceId, 'every10')).nextRun).toBe(now + 10_000);
  });

  it('runs a fire found within the grace window once, not once per slot it passed', async () => {
    now += 35_000; // three slots passed, the oldest 25 s ago
    expect(await clock().tick()).toBe(1);
    expect(await clock().tick()).toBe(0);
    const runs = await history('every10');
    expect(runs.filter((r) => r.status === 'queued')).toHaveLength(2);
    expect((await jobs().get(actor.instanceId, 'every10')).nextRun).toBe(now + 5_000);
  });

  it('records a fire found past the grace window as missed, and moves on', async () => {
    now += 5_000 + 120_000; // due 2 minutes ago: every process was "down"
    expect(await clock().tick()).toBe(1);
    const [newest] = await history('every10');
    expect(newest.status).toBe('missed');
    expect(newest.error).toMatch(/Missed: due at .* found 120 s late/);
    expect(newest.taskId).toBeNull();
    expect((await jobs().get(actor.instanceId, 'every10')).nextRun).toBeGreaterThan(now);
  });

  it('takes no fire of a disabled job, and a re-enabled one starts from now', async () => {
    const disabled = await jobs().toggle(actor, 'every10');
    expect(disabled.enabled).toBe(false);
    expect(disabled.nextRun).toBeNull();
    now += 60_000;
    expect(await clock().tick()).toBe(0);
    const enabled = await jobs().toggle(actor, 'every10');
    expect(enabled.nextRun).toBe(now + 10_000);
  });

  it('takes the fires of a stopped scheduler without running them', async () => {
    const before = (await history('every10')).length;
    await app.berth.scheduler.schedulerControl.setRunning(actor, false);
    now += 10_000;
    expect(await clock().tick()).toBe(1);
    expect(await history('every10')).toHaveLength(before);
    const status = await app.berth.scheduler.schedulerControl.setRunning(actor, true);
    expect(status).toMatchObject({ running: true, totalJobs: 1, activeJobs: 1, nextJob: { name: 'every10' } });
  });

  it('leaves fires due while the task queue is away, and takes them once it is back', async () => {
    const { scheduler, store, logger } = app.berth;
    let ready = false;
    const blind = new JobClock({
      jobs: store.jobs, transactor: store, times: scheduler.schedulerTimes, executions: scheduler.schedulerExecutions, control: scheduler.schedulerControl,
      clock: () => new Date(now), logger, queueReady: () => ready,
    });
    const due = (await jobs().get(actor.instanceId, 'every10')).nextRun!;
    now = due + 1000;
    expect(await blind.tick()).toBe(0);
    expect((await jobs().get(actor.instanceId, 'every10')).nextRun).toBe(due);
    ready = true;
    expect(await blind.tick()).toBe(1);
  });
});
