import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { activate, bearer, startTestApp, TEST_REDIS_URL, waitForTask, type TestApp } from '../helpers/app';
import { addDomain, APPS_ENV, containersOf, fetchApp, installAndWait, removeEngineObjects, testDocker, testManifest, waitForApp } from '../helpers/apps';
import { startBerthProcess, type BerthProcess } from '../helpers/processes';

jest.setTimeout(120_000);

/** The engine and the database drift apart (crashes, hands on the engine); Berth brings them back together. */
describe('apps: crashes, health and reconciliation', () => {
  let app: TestApp;
  let token: string;
  afterEach(async () => {
    await removeEngineObjects(app);
    await app.close();
  });

  it('converges when the worker dies in the middle of an install', async () => {
    // No workers in the API process: real `berth worker` processes run the task.
    app = await startTestApp({ env: APPS_ENV });
    token = (await activate(app)).token;
    await addDomain(app, token, 'recovery.test');
    const env = {
      ...APPS_ENV,
      DATABASE_URL: app.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      BERTH_REDIS_PREFIX: app.berth.config.redisPrefix,
      BERTH_DATA_DIR: app.dataDir,
      DOCKER_HOST: process.env.DOCKER_HOST!,
    };
    const workers: BerthProcess[] = [];
    try {
      workers.push(await startBerthProcess(['worker'], env, 'task workers started'));
      // The slow image takes 4 s to answer: the worker is killed while it waits.
      const res = await app.api.post('/api/v1/apps/install').set(bearer(token))
        .send({ manifest: testManifest('slow:1'), location: 'crashy', domain: 'recovery.test', accessRestriction: null })
        .expect(202);
      for (;;) {
        const task = await app.api.get(`/api/v1/tasks/${res.body.taskId}`).set(bearer(token)).expect(200);
        if (/Waiting for the app/.test(task.body.message)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      workers[0].child.kill('SIGKILL');
      await workers[0].exited;

      workers.push(await startBerthProcess(['worker'], env, 'task workers started'));
      const installed = await waitForApp(app, token, res.body.id);
      expect(installed).toMatchObject({ installationState: 'installed', health: 'healthy', error: null });
      // The app's row says installed a moment before the task's row says success: wait for the task to end.
      expect(await waitForTask(app, token, res.body.taskId)).toMatchObject({ success: true });
      expect(await app.berth.store.tasks.get(res.body.taskId)).toMatchObject({ state: 'success', attempt: 2 });
      // The second run kept what the first one made: one container, serving.
      expect(await containersOf(res.body.id)).toHaveLength(1);
      expect((await fetchApp(app, res.body.id, '/healthz')).body.trim()).toBe('ok');
    } finally {
      for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  });

  it('notices a dead app and starts it again, and recreates a container removed behind its back', async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    await addDomain(app, token, 'recovery.test');
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'monitored', domain: 'recovery.test' });
    const docker = testDocker();

    // Stopped outside Berth: the monitor sees it dead, restarts it, and it is healthy again.
    const [first] = await containersOf(id);
    await docker.getContainer(first.Id).stop({ t: 1 });
    await waitForApp(app, token, id, (a) => a.health === 'dead');
    await waitForApp(app, token, id, (a) => a.health === 'healthy');
    expect((await containersOf(id))[0].Id).toBe(first.Id);

    // Removed outside Berth: a recreate task brings a new container back.
    await docker.getContainer(first.Id).remove({ force: true });
    await waitForApp(app, token, id, (a) => a.installationState === 'pending_recreate' || a.health === 'dead');
    const back = await waitForApp(app, token, id, (a) => a.installationState === 'installed' && a.health === 'healthy');
    expect(back.runState).toBe('running');
    const [second] = await containersOf(id);
    expect(second.Id).not.toBe(first.Id);

    const events = await app.api.get('/api/v1/eventlog?per_page=100').set(bearer(token)).expect(200);
    const health = events.body.eventlogs.filter((e: { action: string }) => e.action === 'app.health').map((e: { data: { after: string } }) => e.data.after);
    expect(health).toEqual(expect.arrayContaining(['dead', 'healthy']));
    expect(events.body.eventlogs.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['app.restart', 'app.recreate']));
  });

  it('reconciles at start: missing containers come back, orphans are reported and removed only when asked', async () => {
    // The health monitor would bring the container back on its own: here the reconciler must.
    app = await startTestApp({ env: { ...APPS_ENV, BERTH_APP_HEALTH_INTERVAL_SECS: '3600' }, workers: true });
    token = (await activate(app)).token;
    await addDomain(app, token, 'recovery.test');
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'reconciled', domain: 'recovery.test' });
    const instanceId = (await app.berth.store.instances.findDefault())!.id;
    const docker = testDocker();
    // An orphan: a container with Berth's labels whose app does not exist.
    const orphan = await docker.createContainer({
      Image: 'berth/busybox:1',
      Cmd: ['sleep', '1000'],
      Labels: { 'io.berth.managed': '1', 'io.berth.instance': instanceId, 'io.berth.app': 'gone-app' },
    });
    await docker.getContainer((await containersOf(id))[0].Id).remove({ force: true });

    const report = await app.berth.reconciler.reconcile({ removeOrphans: false });
    expect(report.recreated.map((r) => r.appId)).toEqual([id]);
    expect(report.orphans.map((o) => o.id)).toContain(orphan.id);
    expect(report.removed).toEqual([]);
    expect((await docker.getContainer(orphan.id).inspect()).Id).toBe(orphan.id);
    await waitForApp(app, token, id, (a) => a.installationState === 'installed' && a.health === 'healthy');
    expect(await containersOf(id)).toHaveLength(1);

    // The operator's way: `berth reconcile` lists, `--remove-orphans` removes.
    const env = {
      ...process.env,
      DATABASE_URL: app.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      BERTH_REDIS_PREFIX: app.berth.config.redisPrefix,
      BERTH_DATA_DIR: app.dataDir,
      BERTH_LOG_LEVEL: 'error',
    };
    const berth = (args: string[]) => spawnSync(process.execPath, [path.join(__dirname, '../../dist/cli/berth.js'), ...args], { env, encoding: 'utf8', timeout: 60_000 });
    const listed = berth(['reconcile']);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(`orphan: container`);
    expect(listed.stdout).toContain(orphan.id.slice(0, 12));
    expect(listed.stdout).toContain('run with --remove-orphans');
    const removed = berth(['reconcile', '--remove-orphans']);
    expect(removed.status).toBe(0);
    expect(removed.stdout).toContain(`removed: container`);
    await expect(docker.getContainer(orphan.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // The app's own container was never touched.
    expect(await containersOf(id)).toHaveLength(1);
  });
});
