import fs from 'node:fs';
import path from 'node:path';
import { startTestApp, TASK_ENV, TEST_REDIS_URL, until, type TestApp } from '../helpers/app';
import { APPS_ENV, containersOf, execWs, installAndWait, listen, removeEngineObjects, testDocker, testManifest } from '../helpers/apps';
import { startBerthProcess, type BerthProcess } from '../helpers/processes';

// Real worker processes and a real engine, on a loaded 2-core machine.
jest.setTimeout(240_000);

const ADMIN = { Authorization: `Basic ${Buffer.from('admin:correct horse battery staple').toString('base64')}` };
const DOMAIN = 'crash.tenant.test';

/**
 * The "done when": deleting or exporting a tenant is a task that survives a crash. Each `berth worker`
 * here is told (BERTH_TEST_CRASH_AT, a test-only setting) to SIGKILL itself at a named step of the real
 * handler; the next worker re-runs the task and finishes it.
 */
describe('admin API: tenant export and deletion survive a worker crash', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  const workers: BerthProcess[] = [];
  beforeAll(async () => {
    // No workers in the test process: only the `berth worker` processes run tasks.
    app = await startTestApp({ env: { ...APPS_ENV, ...TASK_ENV } });
    await app.berth.admin.passphrase.set('correct horse battery staple');
    server = await listen(app);
  });
  afterAll(async () => {
    for (const w of workers.splice(0)) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await server.close();
    await removeEngineObjects(app);
    await app.close();
  });

  const startWorker = async (crashAt?: string) => {
    const worker = await startBerthProcess(
      ['worker'],
      {
        ...APPS_ENV,
        ...TASK_ENV,
        DATABASE_URL: app.databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        BERTH_REDIS_PREFIX: app.berth.config.redisPrefix,
        BERTH_DATA_DIR: app.dataDir,
        ...(crashAt ? { BERTH_TEST_CRASH_AT: crashAt } : {}),
      },
      'task workers started',
    );
    workers.push(worker);
    return worker;
  };
  const task = (id: number) => app.berth.store.tasks.get(id);

  it('re-runs an export and a deletion cut short by SIGKILL to the end', async () => {
    const created = await app.admin.post('/instances').set(ADMIN).send({ domain: DOMAIN, email: `owner@${DOMAIN}` }).expect(201);
    const instanceId: string = created.body.data.id;
    const token = (await app.admin.post(`/instances/${DOMAIN}/token`).set(ADMIN).expect(201)).body.token;

    // Worker 1 installs the app, then dies exporting it: after the records part, before the app's data.
    const first = await startWorker(`Exporting the data of web.${DOMAIN}`);
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'web', domain: DOMAIN });
    expect((await execWs(server.url, token, id, ['sh', '-c', 'echo kept > /app/data/hello.txt'])).code).toBe(0);
    const started = await app.admin.post(`/instances/${DOMAIN}/export`).set(ADMIN).expect(202);
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    const exportDir = path.join(app.dataDir, 'exports', instanceId, started.body.export_id);
    expect(fs.readdirSync(exportDir)).toEqual(['records.tar.gz']);
    expect((await app.admin.get(`/instances/${DOMAIN}/exports/${started.body.export_id}`).set(ADMIN).expect(200)).body.state).toBe('queued');
    expect(await task(started.body.task_id)).toMatchObject({ state: 'active', attempt: 1 });

    // Worker 2 finishes the export on a second attempt, then dies deleting the tenant: the app's container is
    // gone, its volume, row, network and the tenant are not.
    const second = await startWorker(`Removed the containers of web.${DOMAIN}`);
    const exported = await until(() => task(started.body.task_id), (t) => t?.state !== 'active' && t?.state !== 'pending');
    expect(exported).toMatchObject({ state: 'success', attempt: 2 });
    expect(fs.readdirSync(exportDir).sort()).toEqual([`app-${id}.tar`, 'records.tar.gz']);
    const data = await app.admin.get(`/instances/${DOMAIN}/exports/${started.body.export_id}/data?cursor=${id}`).set(ADMIN).buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect((data.body as Buffer).toString('latin1')).toContain('kept\n');

    const label = { label: [`io.berth.instance=${instanceId}`] };
    const deleteTask = (await app.admin.delete(`/instances/${DOMAIN}`).set(ADMIN).expect(202)).body.task_id as number;
    await second.exited;
    expect(second.child.signalCode).toBe('SIGKILL');
    expect(await containersOf(id)).toEqual([]);
    expect((await testDocker().listVolumes({ filters: label })).Volumes).toHaveLength(1);
    expect(await app.berth.store.apps.getAny(id)).toBeDefined();
    expect(await task(deleteTask)).toMatchObject({ state: 'active', attempt: 1 });

    // Worker 3 (which does not bring the app's container back for a tenant being deleted) finishes it.
    const third = await startWorker();
    await until(() => app.berth.store.instances.get(instanceId), (row) => row === undefined);
    await app.admin.get(`/instances/${DOMAIN}`).set(ADMIN).expect(404);
    expect(await app.berth.store.apps.getAny(id)).toBeUndefined();
    expect(await containersOf(id)).toEqual([]);
    expect((await testDocker().listVolumes({ filters: label })).Volumes ?? []).toEqual([]);
    expect(await testDocker().listNetworks({ filters: label })).toEqual([]);
    expect(fs.existsSync(path.join(app.dataDir, 'exports', instanceId))).toBe(false);
    // The task row went with the tenant; the worker's log says the deletion ended, on the second attempt.
    const deleted = third.output().split('\n').filter((line) => line.includes('"instance deleted"')).map((line) => JSON.parse(line));
    expect(deleted).toEqual([expect.objectContaining({ instanceId, taskId: deleteTask, attempt: 2 })]);
    // Nothing comes back once the engine is checked again a little later.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await containersOf(id)).toEqual([]);
  });
});
