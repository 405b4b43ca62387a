import fs from 'node:fs';
import path from 'node:path';
import S3rver from 's3rver';
import { activate, bearer, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, execWs, installAndWait, listen, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(180_000);

/** The s3 backend against an S3-compatible server on 127.0.0.1 (s3rver, files in the test's data dir). */
describe('backups to S3', () => {
  let app: TestApp;
  let token: string;
  let server: Awaited<ReturnType<typeof listen>>;
  let s3: S3rver;
  let endpoint: string;
  let instanceId: string;
  let s3Dir: string;

  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    server = await listen(app);
    instanceId = (await app.berth.store.instances.findDefault())!.id;
    s3Dir = path.join(app.dataDir, 's3rver');
    fs.mkdirSync(s3Dir);
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: 'berth-backups' }] });
    endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
  });
  afterAll(async () => {
    await s3?.close();
    await server?.close();
    await removeEngineObjects(app);
    await app.close();
  });

  const set = (body: Record<string, unknown>) => app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send(body);
  const target = () => ({ provider: 's3', bucket: 'berth-backups', prefix: 'boxes/one', region: 'us-east-1', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

  it('checks the bucket and the credentials live, and never shows the secret', async () => {
    expect((await set({ ...target(), accessKeyId: 'NOBODY' }).expect(400)).body.message).toMatch(/bucket berth-backups cannot be used: InvalidAccessKeyId/);
    expect((await set({ ...target(), bucket: 'no-such-bucket' }).expect(400)).body.message).toMatch(/NoSuchBucket/);
    await set({ ...target(), password: 'an s3 backup password' }).expect(200);
    const res = await app.api.get('/api/v1/settings/backup_config').set(bearer(token)).expect(200);
    expect(res.body).toMatchObject({ provider: 's3', bucket: 'berth-backups', prefix: 'boxes/one', endpoint, accessKeyId: 'S3RVER', secretAccessKey: '<redacted>', encrypted: true });
    // Sent back as shown, the secret is kept (the live check passes again).
    await set({ ...res.body, encrypted: undefined }).expect(200);
  });

  it('backs an app up to the bucket, verifies and restores it', async () => {
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 's3', domain: 'backups.test' });
    const sh = async (script: string) => (await execWs(server.url, token, id, ['sh', '-c', script])).stdout;
    const sum = (await sh('head -c 500000 /dev/urandom > /app/data/blob && sha256sum /app/data/blob')).split(' ')[0];

    const started = await app.api.post(`/api/v1/apps/${id}/backup`).set(bearer(token)).expect(202);
    const task = await waitForTask(app, token, started.body.taskId);
    expect(task.success).toBe(true);
    const backupId = (task.result as { backupId: string }).backupId;
    const backup = (await app.api.get(`/api/v1/backups/${backupId}`).set(bearer(token)).expect(200)).body;
    expect(backup.files.map((f: { name: string }) => f.name)).toEqual(['config.json.enc', 'data.tar.gz.enc']);
    // In the bucket, under the prefix and the tenant.
    const stored = fs.readdirSync(path.join(s3Dir, 'berth-backups', 'boxes', 'one', instanceId, backupId));
    expect(stored.join(' ')).toMatch(/data\.tar\.gz\.enc/);

    const verify = await app.api.post(`/api/v1/backups/${backupId}/verify`).set(bearer(token)).expect(202);
    expect(await waitForTask(app, token, verify.body.taskId)).toMatchObject({ success: true });

    await sh('rm /app/data/blob');
    const restore = await app.api.post(`/api/v1/apps/${id}/restore`).set(bearer(token)).send({ backupId }).expect(202);
    expect((await waitForTask(app, token, restore.body.taskId)).success).toBe(true);
    expect(await waitForApp(app, token, id)).toMatchObject({ installationState: 'installed', runState: 'running' });
    expect((await sh('sha256sum /app/data/blob')).split(' ')[0]).toBe(sum);
  });

  it('backs an app up file by file (format rsync): unchanged files are copied inside the bucket, and it restores', async () => {
    await set({ format: 'rsync', syncConcurrency: 3 }).expect(200);
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 's3-rsync', domain: 'backups.test' });
    const sh = async (script: string) => (await execWs(server.url, token, id, ['sh', '-c', script])).stdout;
    await sh('mkdir -p /app/data/d/e /app/data/empty && for i in $(seq 1 20); do echo "file $i" > /app/data/d/e/f$i; done && ln -s d/e/f1 /app/data/link && head -c 300000 /dev/urandom > /app/data/blob');
    const backUp = async () => {
      const started = await app.api.post(`/api/v1/apps/${id}/backup`).set(bearer(token)).expect(202);
      const task = await waitForTask(app, token, started.body.taskId);
      expect(task.success).toBe(true);
      const logs = await app.api.get(`/api/v1/tasks/${started.body.taskId}/logs`).set(bearer(token)).expect(200);
      return { backupId: (task.result as { backupId: string }).backupId, log: logs.text };
    };
    await backUp();
    await sh('echo changed > /app/data/d/e/f2');
    const fingerprint = 'cd /app/data && find . | sort | xargs stat -c "%n %F %a %N" && find . -type f | sort | xargs sha256sum';
    const expected = await sh(fingerprint);
    const { backupId: second, log } = await backUp();
    // The changed file is uploaded; the others are server-side copies of the first backup's objects.
    expect(log).toMatch(/rsync: \d+ entries, 1 files stored, 20 unchanged files linked to app-/);
    const backup = (await app.api.get(`/api/v1/backups/${second}`).set(bearer(token)).expect(200)).body;
    expect(backup).toMatchObject({ format: 'rsync', encrypted: true });
    const stored = fs.readdirSync(path.join(s3Dir, 'berth-backups', 'boxes', 'one', instanceId, second, 'data'), { recursive: true }).map(String);
    expect(stored.filter((f) => f.startsWith('d/e/f') && f.endsWith('.enc._S3rver_object'))).toHaveLength(20);

    const verify = await app.api.post(`/api/v1/backups/${second}/verify`).set(bearer(token)).expect(202);
    expect(await waitForTask(app, token, verify.body.taskId)).toMatchObject({ success: true });
    await sh('rm -r /app/data/* && echo new > /app/data/other');
    const restore = await app.api.post(`/api/v1/apps/${id}/restore`).set(bearer(token)).send({ backupId: second }).expect(202);
    expect((await waitForTask(app, token, restore.body.taskId)).success).toBe(true);
    expect(await waitForApp(app, token, id)).toMatchObject({ installationState: 'installed', runState: 'running' });
    expect(await sh(fingerprint)).toBe(expected);
  });
});
