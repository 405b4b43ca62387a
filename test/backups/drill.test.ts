import fs from 'node:fs';
import path from 'node:path';
import { compareListings, type ListedEntry } from '../../services/backups/tar-listing';
import { activate, bearer, createUserWithToken, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, execWs, installAndWait, listen, removeEngineObjects, testManifest } from '../helpers/apps';

jest.setTimeout(180_000);

/**
 * The restore drill on a real engine: a box backup's apps are restored into scratch volumes and compared entry by
 * entry; the live app is untouched, no scratch volume is left, and a damaged backup fails the drill and notifies.
 */
describe('restore drill', () => {
  let app: TestApp;
  let token: string;
  let server: Awaited<ReturnType<typeof listen>>;
  let instanceId: string;
  let appId: string;
  let boxId: string;

  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    server = await listen(app);
    instanceId = (await app.berth.store.instances.findDefault())!.id;
    await app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ password: 'drill password 1' }).expect(200);
    appId = (await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'drill', domain: 'drill.test' })).id;
  });
  afterAll(async () => {
    await server.close();
    await removeEngineObjects(app);
    await app.close();
  });

  const sh = async (script: string) => {
    const result = await execWs(server.url, token, appId, ['sh', '-c', script]);
    if (result.code !== 0) throw new Error(`${script}: exit ${result.code} ${result.stderr}`);
    return result.stdout;
  };
  const drill = async (body: Record<string, unknown> = {}) => {
    const res = await app.api.post('/api/v1/backups/drill').set(bearer(token)).send(body).expect(202);
    return waitForTask(app, token, res.body.taskId);
  };
  const scratchVolumes = async () =>
    (await app.berth.docker.listVolumes({ filters: { label: ['io.berth.drill-of'] } })).Volumes?.map((v) => v.Name) ?? [];

  it('answers 404 while there is nothing to drill, 404 for an unknown backup', async () => {
    await app.api.post('/api/v1/backups/drill').set(bearer(token)).send({}).expect(404);
    await app.api.post('/api/v1/backups/drill').set(bearer(token)).send({ backupId: 'box-20200101T000000Z-00000000' }).expect(404);
    await app.api.post('/api/v1/backups/drill').set(bearer(token)).send({ backupId: 7 }).expect(400);
    const user = await createUserWithToken(app, 'user');
    await app.api.post('/api/v1/backups/drill').set(bearer(user.token)).send({}).expect(403);
  });

  it('restores the newest backup into a scratch volume and finds it identical, leaving the live app alone', async () => {
    await sh('mkdir -p /app/data/dir/sub && head -c 200000 /dev/urandom > /app/data/dir/sub/blob && echo hi > /app/data/note && chmod 640 /app/data/note && ln -s note /app/data/link');
    const backup = await app.api.post('/api/v1/backups/create').set(bearer(token)).expect(202);
    const made = await waitForTask(app, token, backup.body.taskId);
    expect(made.success).toBe(true);
    boxId = (made.result as { backupId: string }).backupId;
    await sh('echo changed-after-backup > /app/data/note');

    const task = await drill();
    expect(task).toMatchObject({ success: true, type: 'backupDrill' });
    expect(task.result).toMatchObject({ backupId: boxId, apps: 1, files: 2, bytes: 200000 + 3 });
    // The live app still has its newer data; nothing of the drill is left in the engine.
    expect(await sh('cat /app/data/note')).toBe('changed-after-backup\n');
    expect(await scratchVolumes()).toEqual([]);

    const logs = await app.api.get(`/api/v1/tasks/${task.id}/logs`).set(bearer(token)).expect(200);
    expect(logs.text).toMatch(/restored into a scratch volume and identical/);
    expect(logs.text).toMatch(/database snapshot: instances 1, settings \d+, users 2, .*apps 1/);
  });

  it('fails on a damaged backup, names the file, notifies the admins, and cleans up', async () => {
    const box = (await app.api.get(`/api/v1/backups/${boxId}`).set(bearer(token)).expect(200)).body;
    const [appBackupId] = box.dependsOn as string[];
    const data = path.join(app.dataDir, 'backups', instanceId, appBackupId, 'data.tar.gz.enc');
    const bytes = fs.readFileSync(data);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(data, bytes);

    const task = await drill({ backupId: boxId });
    expect(task.success).toBe(false);
    expect(task.error?.message).toMatch(/data\.tar\.gz\.enc is corrupted/);
    expect(await scratchVolumes()).toEqual([]);
    const notes = (await app.api.get('/api/v1/notifications?acknowledged=false').set(bearer(token)).expect(200)).body.notifications;
    expect(notes).toMatchObject([{ title: `The restore drill of backup ${boxId} failed` }]);
  });
});

describe('comparing a backup with its restore', () => {
  const entry = (over: Partial<ListedEntry> = {}): ListedEntry => ({ type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3, content: 'abc', ...over });

  it('names each difference: missing, extra, content, mode, owner', () => {
    const backup = new Map([['data/a', entry()], ['data/b', entry()], ['data/c', entry({ mode: 0o600 })], ['data/d', entry({ uid: 1000 })]]);
    const restored = new Map([['data/a', entry({ content: 'xyz' })], ['data/c', entry()], ['data/d', entry()], ['data/e', entry()]]);
    expect(compareListings(backup, restored)).toEqual([
      'data/a: content differs',
      'data/b: missing after the restore',
      'data/c: mode 600 became 644',
      'data/d: uid 1000 became 0',
      'data/e: not in the backup but present after the restore',
    ]);
    expect(compareListings(backup, new Map(backup))).toEqual([]);
  });
});
