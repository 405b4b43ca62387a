import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { version } from '../../server/version';
import { OWNER, activate, bearer, startTestApp, until, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, execWs, installAndWait, listen, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(300_000);

const PASSWORD = 'the box backup password';
const USERS = [
  { username: 'amira', email: 'amira@example.com', password: 'amira-Pa55word!', role: 'admin' },
  { username: 'bruno', email: 'bruno@example.com', password: 'bruno-Pa55word!', role: 'user' },
];

/**
 * The done-criterion: a box backs up, encrypted, to S3; the box is lost; a new box on a fresh database
 * is rebuilt from the backup with every user, group, app and file back.
 */
describe('rebuilding a box from a backup', () => {
  let s3: S3rver;
  let s3Dir: string;
  let endpoint: string;
  let boxA: TestApp | undefined;
  let boxB: TestApp;
  let serverB: Awaited<ReturnType<typeof listen>> | undefined;
  // What box A had.
  let appId: string;
  let blobSum: string;
  let boxBackup: { id: string; remotePath: string; version: string; files: Array<{ name: string }> };
  let backupIds: string[];
  let groupId: string;
  let userIds: string[];

  const s3Config = (extra: Record<string, unknown> = {}) => ({
    provider: 's3', bucket: 'berth-backups', prefix: 'boxes', region: 'us-east-1', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', ...extra,
  });

  beforeAll(async () => {
    s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-s3-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: 'berth-backups' }] });
    endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
    await makeAndLoseBoxA();
    boxB = await startTestApp({ env: APPS_ENV, workers: true });
  });
  afterAll(async () => {
    await serverB?.close();
    if (boxA) await boxA.close();
    if (boxB) {
      await removeEngineObjects(boxB);
      await boxB.close();
    }
    await s3?.close();
    fs.rmSync(s3Dir, { recursive: true, force: true });
  });

  /** Box A: an owner, two users, a group, a domain, an app with data; an encrypted box backup to S3; then lost. */
  async function makeAndLoseBoxA() {
    const a = (boxA = await startTestApp({ env: APPS_ENV, workers: true }));
    const { token, userId: ownerId } = await activate(a);
    userIds = [ownerId];
    for (const user of USERS) userIds.push((await a.api.post('/api/v1/users').set(bearer(token)).send(user).expect(201)).body.id);
    groupId = (await a.api.post('/api/v1/groups').set(bearer(token)).send({ name: 'editors' }).expect(201)).body.id;
    await a.api.put(`/api/v1/groups/${groupId}/members`).set(bearer(token)).send({ userIds: userIds.slice(1) }).expect(200);
    await a.api.post('/api/v1/settings/backup_config').set(bearer(token)).send(s3Config({ password: PASSWORD })).expect(200);
    appId = (await installAndWait(a, token, { manifest: testManifest('web:1'), location: 'data', domain: 'restore.test' })).id;
    const server = await listen(a);
    try {
      const out = await execWs(server.url, token, appId, ['sh', '-c', 'head -c 400000 /dev/urandom > /app/data/blob && mkdir /app/data/sub && echo kept > /app/data/sub/note && sha256sum /app/data/blob']);
      blobSum = out.stdout.split(' ')[0];
    } finally {
      await server.close();
    }
    const started = await a.api.post('/api/v1/backups/create').set(bearer(token)).expect(202);
    expect(await waitForTask(a, token, started.body.taskId)).toMatchObject({ success: true });
    const list = (await a.api.get('/api/v1/backups').set(bearer(token)).expect(200)).body.backups;
    backupIds = list.map((b: { id: string }) => b.id).sort();
    boxBackup = list.find((b: { type: string }) => b.type === 'box');
    expect(boxBackup.files.map((f) => f.name)).toEqual(['db.json.gz.enc', 'index.json.enc']);
    expect(boxBackup.version).toBe(version);
    expect(boxBackup.remotePath).toMatch(/^ins[^/]*\/box-/);

    // The box is lost: its database, its data folder and its containers.
    await removeEngineObjects(a);
    await a.close();
    boxA = undefined;
  }

  const restore = (body: Record<string, unknown>) => boxB.api.post('/api/v1/cloudron/restore').send({ backupConfig: s3Config({ password: PASSWORD }), backupId: boxBackup.remotePath, version: boxBackup.version, ...body });
  const status = async () => (await boxB.api.get('/api/v1/cloudron/status').expect(200)).body;
  const settled = () => until(status, (s) => !s.restore.active);
  const tenantRows = async (table: string) => {
    const instanceId = (await boxB.berth.store.instances.findDefault())!.id;
    return boxB.berth.db(table).where({ instance_id: instanceId });
  };

  it('refuses bad requests, unknown backups and missing passwords with a clear 4xx', async () => {
    expect((await boxB.api.post('/api/v1/cloudron/restore').send({}).expect(400)).body.message).toMatch(/backupConfig|backupId|version/);
    expect((await restore({ backupId: 'not a backup' }).expect(400)).body.message).toMatch(/backupId must be a box backup/);
    expect((await restore({ backupConfig: s3Config({ password: PASSWORD, provider: 'gcs' }) }).expect(400)).body.message).toMatch(/not supported yet/);
    expect((await restore({ backupConfig: s3Config({ password: PASSWORD, accessKeyId: 'NOBODY' }) }).expect(400)).body.message).toMatch(/bucket berth-backups cannot be used: InvalidAccessKeyId/);
    const missing = `${boxBackup.remotePath.split('/')[0]}/box-20200101T000000Z-00000000`;
    expect((await restore({ backupId: missing }).expect(404)).body.message).toMatch(/no box backup .*box-20200101T000000Z-00000000 on the target/);
    expect((await restore({ backupConfig: s3Config() }).expect(400)).body.message).toMatch(/backup is encrypted: give the password/);
    expect((await status()).restore).toEqual({ active: false, message: '', errorMessage: null });
  });

  it('fails with a wrong password before anything is written, and the box stays unactivated', async () => {
    const res = await restore({ backupConfig: s3Config({ password: 'not the right password' }) }).expect(200);
    expect(res.body).toEqual({ taskId: expect.any(Number) });
    const after = await settled();
    expect(after.activated).toBe(false);
    expect(after.restore.errorMessage).toMatch(/nothing was changed: index.json.enc was encrypted with a different key/);
    expect(await tenantRows('users')).toEqual([]);
    expect(await tenantRows('apps')).toEqual([]);
    expect((await tenantRows('settings')).map((r: { name: string }) => r.name)).toEqual(['restore']);
    // The password given is not kept.
    expect(JSON.stringify(await tenantRows('settings'))).not.toMatch(/not the right password/);

    const wrongVersion = await restore({ version: '0.0.1' }).expect(200);
    expect((await settled()).restore.errorMessage).toMatch(/was made by Berth .*, not 0.0.1/);
    expect(wrongVersion.body.taskId).toBeGreaterThan(res.body.taskId);
    expect(await tenantRows('users')).toEqual([]);
  });

  it('fails on a damaged or cut app backup before anything is written', async () => {
    const [folder] = boxBackup.remotePath.split('/');
    const appBackupId = backupIds.find((id) => id.startsWith('app-'))!;
    const dir = path.join(s3Dir, 'berth-backups', 'boxes', folder, appBackupId);
    const file = path.join(dir, fs.readdirSync(dir).find((name) => name.startsWith('data.tar.gz.enc') && name.endsWith('_object'))!);
    const original = fs.readFileSync(file);
    try {
      const damaged = Buffer.from(original);
      damaged[Math.floor(damaged.length / 2)] ^= 0xff;
      fs.writeFileSync(file, damaged);
      await restore({}).expect(200);
      expect((await settled()).restore.errorMessage).toMatch(/nothing was changed: data.tar.gz.enc is corrupted/);

      fs.writeFileSync(file, original.subarray(0, original.length - 100));
      await restore({}).expect(200);
      const after = await settled();
      expect(after.restore.errorMessage).toMatch(/^The restore failed, nothing was changed: /);
      expect(after.activated).toBe(false);
      expect(await tenantRows('users')).toEqual([]);
      expect(await tenantRows('backups')).toEqual([]);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('rebuilds every user, group, app and file, and activates the box', async () => {
    await restore({}).expect(200);
    // A second request while the first runs is refused.
    expect((await restore({}).expect(409)).body.code).toMatch(/CONFLICT|ALREADY_ACTIVATED/);
    const done = await settled();
    expect(done.restore).toEqual({ active: false, message: `Restored backup ${boxBackup.remotePath}`, errorMessage: null });
    expect(done.activated).toBe(true);

    // The old owner and users log in with their old passwords.
    const owner = (await boxB.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200)).body.token;
    for (const user of USERS) await boxB.api.post('/api/v1/cloudron/login').send({ username: user.username, password: user.password }).expect(200);
    await boxB.api.post('/api/v1/cloudron/login').send({ username: USERS[0].username, password: 'wrong-Pa55word!' }).expect(401);
    const users = (await boxB.api.get('/api/v1/users').set(bearer(owner)).expect(200)).body.users;
    expect(users.map((u: { id: string }) => u.id).sort()).toEqual([...userIds].sort());
    expect((await boxB.api.get(`/api/v1/groups/${groupId}`).set(bearer(owner)).expect(200)).body).toMatchObject({ name: 'editors', userIds: expect.arrayContaining(userIds.slice(1)) });

    // The app is installed, running, and its data is byte for byte what it was.
    expect(await waitForApp(boxB, owner, appId)).toMatchObject({ installationState: 'installed', runState: 'running', fqdn: 'data.restore.test', error: null });
    serverB = await listen(boxB);
    const inApp = await execWs(serverB.url, owner, appId, ['sh', '-c', 'sha256sum /app/data/blob; cat /app/data/sub/note']);
    expect(inApp.stdout).toBe(`${blobSum}  /app/data/blob\nkept\n`);

    // The old backups are listed, at their old place, and the box keeps backing up there with the same password.
    const backups = (await boxB.api.get('/api/v1/backups').set(bearer(owner)).expect(200)).body.backups;
    expect(backups.map((b: { id: string }) => b.id).sort()).toEqual(backupIds);
    const box = backups.find((b: { id: string }) => b.id === boxBackup.id);
    expect(box).toMatchObject({ state: 'normal', remotePath: boxBackup.remotePath, files: [expect.objectContaining({ name: 'db.json.gz.enc' }), expect.objectContaining({ name: 'index.json.enc' })] });
    const verify = await boxB.api.post(`/api/v1/backups/${boxBackup.id}/verify`).set(bearer(owner)).expect(202);
    expect(await waitForTask(boxB, owner, verify.body.taskId)).toMatchObject({ success: true });
    expect((await boxB.api.get('/api/v1/settings/backup_config').set(bearer(owner)).expect(200)).body).toMatchObject({ provider: 's3', bucket: 'berth-backups', encrypted: true });
    const next = await boxB.api.post('/api/v1/backups/create').set(bearer(owner)).expect(202);
    const nextId = (await waitForTask(boxB, owner, next.body.taskId)).result.backupId;
    const folder = boxBackup.remotePath.split('/')[0];
    expect((await boxB.api.get(`/api/v1/backups/${nextId}`).set(bearer(owner)).expect(200)).body.remotePath).toBe(`${folder}/${nextId}`);
    expect(fs.readdirSync(path.join(s3Dir, 'berth-backups', 'boxes', folder))).toContain(nextId);

    const events = (await boxB.api.get('/api/v1/eventlog?action=cloudron.restore').set(bearer(owner)).expect(200)).body.eventlogs;
    expect(events).toHaveLength(1);

    // Once activated, a restore is refused.
    expect((await restore({}).expect(409)).body.message).toMatch(/activated/);
  });
});

/** The filesystem backend, unencrypted: two boxes on one machine sharing the allowed backup folder. */
describe('rebuilding a box from a filesystem backup', () => {
  let roots: string;
  let boxB: TestApp;
  let remotePath: string;
  let backupVersion: string;

  beforeAll(async () => {
    roots = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-roots-'));
    const a = await startTestApp({ env: { ...APPS_ENV, BERTH_BACKUP_ROOTS: roots }, workers: true });
    try {
      const { token } = await activate(a);
      await a.api.post('/api/v1/users').set(bearer(token)).send(USERS[1]).expect(201);
      await a.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ backupFolder: roots }).expect(200);
      const started = await a.api.post('/api/v1/backups/create').set(bearer(token)).expect(202);
      const backupId = (await waitForTask(a, token, started.body.taskId)).result.backupId;
      ({ remotePath, version: backupVersion } = (await a.api.get(`/api/v1/backups/${backupId}`).set(bearer(token)).expect(200)).body);
    } finally {
      await a.close();
    }
    boxB = await startTestApp({ env: { ...APPS_ENV, BERTH_BACKUP_ROOTS: roots }, workers: true });
  });
  afterAll(async () => {
    await boxB?.close();
    fs.rmSync(roots, { recursive: true, force: true });
  });

  it('restores the users from an unencrypted backup in an allowed folder', async () => {
    const restore = (body: Record<string, unknown>) =>
      boxB.api.post('/api/v1/cloudron/restore').send({ backupConfig: { provider: 'filesystem', backupFolder: roots }, backupId: remotePath, version: backupVersion, ...body });
    // Only folders the operator allows; a bare id is looked for in this box's own folder.
    expect((await restore({ backupConfig: { provider: 'filesystem', backupFolder: '/etc' } }).expect(400)).body.message).toMatch(/backupFolder must be inside/);
    expect((await restore({ backupId: remotePath.split('/')[1] }).expect(404)).body.message).toMatch(/no box backup/);
    // A folder named for another tenant of this machine is that tenant's.
    await boxB.berth.store.instances.insert({ id: 'ins-neighbour', domain: 'neighbour.test', isDefault: false, createdAt: new Date().toISOString() });
    expect((await restore({ backupId: `ins-neighbour/${remotePath.split('/')[1]}` }).expect(403)).body.message).toMatch(/belongs to another tenant/);

    const res = await restore({ remotePath, backupId: 'ignored-when-remotePath-is-given' }).expect(200);
    expect(res.body.taskId).toEqual(expect.any(Number));
    const done = await until(async () => (await boxB.api.get('/api/v1/cloudron/status').expect(200)).body, (s) => !s.restore.active);
    expect(done).toMatchObject({ activated: true, restore: { active: false, errorMessage: null } });
    const owner = (await boxB.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200)).body.token;
    await boxB.api.post('/api/v1/cloudron/login').send({ username: USERS[1].username, password: USERS[1].password }).expect(200);
    const backups = (await boxB.api.get('/api/v1/backups').set(bearer(owner)).expect(200)).body.backups;
    expect(backups).toEqual([expect.objectContaining({ remotePath, type: 'box', state: 'normal', encrypted: false })]);
    expect((await boxB.api.get('/api/v1/settings/backup_config').set(bearer(owner)).expect(200)).body).toMatchObject({ provider: 'filesystem', backupFolder: roots, encrypted: false });
  });
});
