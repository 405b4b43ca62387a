import { pingRedis } from '../../services/queue/redis';
import { bearer, createUserWithToken, startTestApp, TASK_ENV, waitForTask, type TestApp, createTask } from '../helpers/app';

jest.setTimeout(60_000);

/** One tenant's burst of tasks must not starve another tenant's. */
describe('fair share between tenants', () => {
  let app: TestApp;
  afterEach(() => app.close());

  it('runs another tenant’s task while a burst of one tenant’s tasks waits, holding each to its share', async () => {
    // _sleep runs 4 at once in this worker; each tenant may hold half of that.
    app = await startTestApp({ env: { ...TASK_ENV, BERTH_TASK_CONCURRENCY: '_sleep=4', BERTH_TENANT_TASK_SHARE: '50' }, workers: true });
    await pingRedis(app.berth.redis, 5000);
    const instanceA = (await app.berth.store.instances.findDefault())!.id;
    const instanceB = 'ins-fair-b';
    await app.berth.store.instances.insert({ id: instanceB, domain: 'b.fair.test', isDefault: false, createdAt: new Date().toISOString() });
    const b = await createUserWithToken(app, 'admin', { instanceId: instanceB });
    const a = await createUserWithToken(app, 'admin', { instanceId: instanceA });

    const burst = [];
    for (let i = 0; i < 10; i++) burst.push(await createTask(app.berth, { instanceId: instanceA, type: '_sleep', args: { ms: 1500 } }));
    // Watch A's running tasks while the burst runs.
    let mostActiveA = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        mostActiveA = Math.max(mostActiveA, await app.berth.store.tasks.countActive(instanceA, '_sleep'));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const late = await createTask(app.berth, { instanceId: instanceB, type: '_sleep', args: { ms: 10 } });
    expect((await waitForTask(app, b.token, late.id)).success).toBe(true);
    // B's task did not wait for A's burst: most of it is still to run.
    const unfinished = (await Promise.all(burst.map((t) => app.berth.store.tasks.get(t.id)))).filter((t) => t!.state !== 'success');
    expect(unfinished.length).toBeGreaterThanOrEqual(4);

    for (const task of burst) expect((await waitForTask(app, a.token, task.id)).success).toBe(true);
    watching = false;
    await watcher;
    expect(mostActiveA).toBeLessThanOrEqual(2);
    expect(mostActiveA).toBeGreaterThanOrEqual(1);
    await app.api.get(`/api/v1/tasks/${late.id}`).set(bearer(a.token)).expect(404);
  });

  it('does not limit a box with a single tenant', async () => {
    app = await startTestApp({ env: { ...TASK_ENV, BERTH_TASK_CONCURRENCY: '_sleep=4', BERTH_TENANT_TASK_SHARE: '50' }, workers: true });
    await pingRedis(app.berth.redis, 5000);
    const instanceId = (await app.berth.store.instances.findDefault())!.id;
    const a = await createUserWithToken(app, 'admin', { instanceId });
    const tasks = [];
    for (let i = 0; i < 4; i++) tasks.push(await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 1500 } }));
    for (;;) {
      const active = await app.berth.store.tasks.countActive(instanceId, '_sleep');
      if (active === 4) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const task of tasks) expect((await waitForTask(app, a.token, task.id)).success).toBe(true);
  });
});
