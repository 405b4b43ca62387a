import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activate, bearer, OWNER, startTestApp, TASK_ENV, TEST_REDIS_URL, until, type TestApp } from '../helpers/app';
import { APPS_ENV, execWs, installAndWait, listen, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';
import { startBerthProcess, type BerthProcess } from '../helpers/processes';

jest.setTimeout(300_000);

/**
 * A worker killed in the middle of a box restore, after the records are back and before the app is: the task
 * is run again and resumes with the apps, so nothing is left half-restored.
 */
describe('a box restore interrupted by a crash', () => {
  let roots: string;
  let boxA: TestApp | undefined;
  let boxB: TestApp;
  let remotePath: string;
  let backupVersion: string;
  let appId: string;
  let blobSum: string;
  const workers: BerthProcess[] = [];

  beforeAll(async () => {
    roots = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-roots-'));
    const a = (boxA = await startTestApp({ env: { ...APPS_ENV, BERTH_BACKUP_ROOTS: roots }, workers: true }));
    const { token } = await activate(a);
    await a.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ backupFolder: roots }).expect(200);
    appId = (await installAndWait(a, token, { manifest: testManifest('web:1'), location: 'data', domain: 'crash.test' })).id;
    const server = await listen(a);
    try {
      blobSum = (await execWs(server.url, token, appId, ['sh', '-c', 'head -c 100000 /dev/urandom > /app/data/blob && sha256sum /app/data/blob'])).stdout.split(' ')[0];
    } finally {
      await server.close();
    }
    const started = await a.api.post('/api/v1/backups/create').set(bearer(token)).expect(202);
    const done = await until(async () => (await a.api.get(`/api/v1/tasks/${started.body.taskId}`).set(bearer(token))).body, (t) => !t.active && !t.pending);
    ({ remotePath, version: backupVersion } = (await a.api.get(`/api/v1/backups/${done.result.backupId}`).set(bearer(token)).expect(200)).body);
    await removeEngineObjects(a);
    await a.close();
    boxA = undefined;
    // Box B runs no workers itself: `berth worker` processes do, the first one set to die mid-restore.
    boxB = await startTestApp({ env: { ...APPS_ENV, ...TASK_ENV, BERTH_BACKUP_ROOTS: roots } });
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    if (boxA) await boxA.close();
    if (boxB) {
      await removeEngineObjects(boxB);
      await boxB.close();
    }
    fs.rmSync(roots, { recursive: true, force: true });
  });

  it('resumes with the apps after the worker dies, and ends restored and activated', async () => {
    const env = {
      ...APPS_ENV,
      ...TASK_ENV,
      BERTH_BACKUP_ROOTS: roots,
      DATABASE_URL: boxB.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      BERTH_REDIS_PREFIX: boxB.berth.config.redisPrefix,
      BERTH_DATA_DIR: boxB.dataDir,
      DOCKER_HOST: process.env.DOCKER_HOST!,
    };
    workers.push(await startBerthProcess(['worker'], { ...env, BERTH_TEST_CRASH_AT: 'Restoring data.crash.test' }, 'task workers started'));
    const res = await boxB.api.post('/api/v1/cloudron/restore')
      .send({ backupConfig: { provider: 'filesystem', backupFolder: roots }, backupId: remotePath, version: backupVersion })
      .expect(200);
    await workers[0].exited;

    // The records are back, the app waits for its data.
    const instanceId = (await boxB.berth.store.instances.findDefault())!.id;
    expect(await boxB.berth.store.apps.get(instanceId, appId)).toMatchObject({ installationState: 'pending_restore' });

    workers.push(await startBerthProcess(['worker'], env, 'task workers started'));
    const done = await until(async () => (await boxB.api.get('/api/v1/cloudron/status').expect(200)).body, (s) => !s.restore.active);
    expect(done).toMatchObject({ activated: true, restore: { active: false, message: `Restored backup ${remotePath}`, errorMessage: null } });
    expect(await boxB.berth.store.tasks.get(res.body.taskId)).toMatchObject({ state: 'success', attempt: 2 });

    const owner = (await boxB.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200)).body.token;
    expect(await waitForApp(boxB, owner, appId)).toMatchObject({ installationState: 'installed', runState: 'running', error: null });
    const logs = (await boxB.api.get(`/api/v1/tasks/${res.body.taskId}/logs`).set(bearer(owner)).expect(200)).text;
    expect(logs).toMatch(/resuming: the records are back; 1 app\(s\) to restore/);
    const server = await listen(boxB);
    try {
      expect((await execWs(server.url, owner, appId, ['sha256sum', '/app/data/blob'])).stdout).toBe(`${blobSum}  /app/data/blob\n`);
    } finally {
      await server.close();
    }
  });
});
