import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OWNER, activate, bearer, startTestApp, until, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, installAndWait, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';
import { onPostgres, postgresUrl } from '../helpers/database';

jest.setTimeout(300_000);

const USER = { username: 'chidi', email: 'chidi@example.com', password: 'chidi-Pa55word!', role: 'usermanager' };

/**
 * Moving a box between database engines by backup and restore: the embedded SQLite box grows into a
 * PostgreSQL one (the scale-out path), or back. Box A runs on the suite's engine, box B on the other one; every
 * kind of column (booleans, big integers, blobs, JSON kept as text) makes the trip. The PostgreSQL suite goes
 * PostgreSQL → SQLite; the SQLite suite goes SQLite → PostgreSQL when TEST_POSTGRES_URL is set (.ci/run sets it).
 */
const other = onPostgres ? 'sqlite' : 'postgres';
const describeAcross = other === 'sqlite' || postgresUrl ? describe : describe.skip;

describeAcross(`restoring a box on the other database engine (to ${other})`, () => {
  let roots: string;
  let boxA: TestApp | undefined;
  let boxB: TestApp | undefined;
  let remotePath: string;
  let backupVersion: string;
  let appId: string;
  let userId: string;
  let groupId: string;
  let appBackupSize: number;

  beforeAll(async () => {
    roots = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-roots-'));
    const a = (boxA = await startTestApp({ env: { ...APPS_ENV, BERTH_BACKUP_ROOTS: roots }, workers: true }));
    const { token } = await activate(a);
    userId = (await a.api.post('/api/v1/users').set(bearer(token)).send(USER).expect(201)).body.id;
    // A deactivated user: a boolean false that must stay false.
    await a.api.post(`/api/v1/users/${userId}`).set(bearer(token)).send({ active: false }).expect(200);
    groupId = (await a.api.post('/api/v1/groups').set(bearer(token)).send({ name: 'movers' }).expect(201)).body.id;
    await a.api.put(`/api/v1/groups/${groupId}/members`).set(bearer(token)).send({ userIds: [userId] }).expect(200);
    await a.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ backupFolder: roots }).expect(200);
    await a.api.post('/api/v1/domains').set(bearer(token)).send({ domain: 'across.test', provider: 'noop', config: {}, tlsConfig: { provider: 'fallback' } }).expect(201);
    appId = (await installAndWait(a, token, { manifest: testManifest('web:1'), location: 'moved', domain: 'across.test' })).id;
    await a.api.post(`/api/v1/apps/${appId}/configure`).set(bearer(token)).send({ memoryLimit: 300 * 1024 * 1024 }).expect(202);
    await waitForApp(a, token, appId);
    const started = await a.api.post('/api/v1/backups/create').set(bearer(token)).expect(202);
    const backupId = (await waitForTask(a, token, started.body.taskId)).result.backupId;
    ({ remotePath, version: backupVersion } = (await a.api.get(`/api/v1/backups/${backupId}`).set(bearer(token)).expect(200)).body);
    appBackupSize = (await a.api.get(`/api/v1/apps/${appId}/backups`).set(bearer(token)).expect(200)).body.backups[0].size;
    // Box A is lost.
    await removeEngineObjects(a);
    await a.close();
    boxA = undefined;
    boxB = await startTestApp({ env: { ...APPS_ENV, BERTH_BACKUP_ROOTS: roots }, workers: true, database: other });
  });

  afterAll(async () => {
    if (boxA) await boxA.close();
    if (boxB) {
      await removeEngineObjects(boxB);
      await boxB.close();
    }
    fs.rmSync(roots, { recursive: true, force: true });
  });

  it('brings back the users, the group, the domain, the app and its backups', async () => {
    const b = boxB!;
    await b.api.post('/api/v1/cloudron/restore').send({ backupConfig: { provider: 'filesystem', backupFolder: roots }, backupId: remotePath, version: backupVersion }).expect(200);
    const done = await until(async () => (await b.api.get('/api/v1/cloudron/status').expect(200)).body, (s) => !s.restore.active);
    expect(done).toMatchObject({ activated: true, restore: { active: false, errorMessage: null } });

    const owner = (await b.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200)).body.token;
    const user = (await b.api.get(`/api/v1/users/${userId}`).set(bearer(owner)).expect(200)).body;
    expect(user).toMatchObject({ username: USER.username, role: 'usermanager', active: false });
    // Deactivated, so no login, with the right password or not.
    await b.api.post('/api/v1/cloudron/login').send({ username: USER.username, password: USER.password }).expect(401);
    expect((await b.api.get(`/api/v1/groups/${groupId}`).set(bearer(owner)).expect(200)).body).toMatchObject({ name: 'movers', userIds: [userId] });
    expect((await b.api.get('/api/v1/domains/across.test').set(bearer(owner)).expect(200)).body).toMatchObject({ provider: 'noop', tlsConfig: { provider: 'fallback' } });

    const app = await waitForApp(b, owner, appId);
    expect(app).toMatchObject({ installationState: 'installed', runState: 'running', fqdn: 'moved.across.test', memoryLimit: 300 * 1024 * 1024, error: null });
    const backups = (await b.api.get(`/api/v1/apps/${appId}/backups`).set(bearer(owner)).expect(200)).body.backups;
    expect(backups[0]).toMatchObject({ state: 'normal', size: appBackupSize });
    // The restored box backs up on its new engine.
    const next = await b.api.post('/api/v1/backups/create').set(bearer(owner)).expect(202);
    expect(await waitForTask(b, owner, next.body.taskId)).toMatchObject({ success: true });
  });
});
