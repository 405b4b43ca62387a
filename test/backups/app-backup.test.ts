import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { activate, bearer, createUserWithToken, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, execWs, installAndWait, listen, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(180_000);

/** Back up an app on a real engine, change its data, restore it; and the ways a restore must fail safely. */
describe('app backups on a real Docker engine', () => {
  let app: TestApp;
  let token: string;
  let server: Awaited<ReturnType<typeof listen>>;
  let instanceId: string;
  let appId: string;
  let backupId: string;
  let blobSum: string;
  const PASSWORD = 'first backup password';

  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    server = await listen(app);
    instanceId = (await app.berth.store.instances.findDefault())!.id;
    await app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ password: PASSWORD }).expect(200);
    appId = (await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'data', domain: 'backups.test' })).id;
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
  const fileOf = (id: string, name: string) => path.join(app.dataDir, 'backups', instanceId, id, name);
  const restore = async (id: string) => {
    const res = await app.api.post(`/api/v1/apps/${appId}/restore`).set(bearer(token)).send({ backupId: id }).expect(202);
    return waitForTask(app, token, res.body.taskId);
  };

  it('backs an app up and restores its data byte for byte', async () => {
    blobSum = (await sh('head -c 300000 /dev/urandom > /app/data/blob && echo hello > /app/data/note && sha256sum /app/data/blob')).split(' ')[0];

    const started = await app.api.post(`/api/v1/apps/${appId}/backup`).set(bearer(token)).expect(202);
    expect((await app.api.get(`/api/v1/apps/${appId}`).set(bearer(token))).body.installationState).toMatch(/pending_backup|installed/);
    const task = await waitForTask(app, token, started.body.taskId);
    expect(task).toMatchObject({ success: true, type: 'app' });
    expect(await waitForApp(app, token, appId)).toMatchObject({ installationState: 'installed', runState: 'running', health: 'healthy' });

    const list = await app.api.get(`/api/v1/apps/${appId}/backups`).set(bearer(token)).expect(200);
    expect(list.body.backups).toHaveLength(1);
    const backup = list.body.backups[0];
    backupId = backup.id;
    expect(backup).toMatchObject({ type: 'app', identifier: appId, appId, state: 'normal', format: 'tgz', encrypted: true, version: '1.0.0', dependsOn: [] });
    expect(backup.files.map((f: { name: string }) => f.name)).toEqual(['config.json.enc', 'data.tar.gz.enc']);
    // The checksums recorded are those of the files on the target.
    for (const file of backup.files as Array<{ name: string; size: number; sha256: string }>) {
      const bytes = fs.readFileSync(fileOf(backupId, file.name));
      expect([file.name, bytes.length, createHash('sha256').update(bytes).digest('hex')]).toEqual([file.name, file.size, file.sha256]);
    }
    expect(fs.readFileSync(fileOf(backupId, 'config.json.enc')).includes('io.berth.test.web')).toBe(false);
    expect((await app.api.get(`/api/v1/backups/${backupId}`).set(bearer(token)).expect(200)).body.id).toBe(backupId);
    expect((await app.api.get('/api/v1/backups?type=app').set(bearer(token)).expect(200)).body.backups.map((b: { id: string }) => b.id)).toEqual([backupId]);

    await sh('rm /app/data/blob && echo changed > /app/data/note && echo new > /app/data/extra');
    expect((await restore(backupId)).success).toBe(true);
    expect(await waitForApp(app, token, appId)).toMatchObject({ installationState: 'installed', runState: 'running', health: 'healthy', error: null });
    expect((await sh('sha256sum /app/data/blob')).split(' ')[0]).toBe(blobSum);
    expect(await sh('cat /app/data/note; ls /app/data')).toBe('hello\nblob\nnote\n');

    const events = await app.api.get('/api/v1/eventlog?action=app.backup,app.restore').set(bearer(token)).expect(200);
    expect(events.body.eventlogs.map((e: { action: string }) => e.action).sort()).toEqual(['app.backup', 'app.restore']);
  });

  it('answers 404 for backups and apps it does not have', async () => {
    const res = await app.api.post(`/api/v1/apps/${appId}/restore`).set(bearer(token)).send({ backupId: 'app-20200101T000000Z-00000000' }).expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
    await app.api.post('/api/v1/apps/no-such-app/backup').set(bearer(token)).expect(404);
    await app.api.get('/api/v1/apps/no-such-app/backups').set(bearer(token)).expect(404);
    await app.api.get('/api/v1/backups/no-such-backup').set(bearer(token)).expect(404);
    await app.api.post('/api/v1/backups/no-such-backup/verify').set(bearer(token)).expect(404);
    await app.api.post(`/api/v1/apps/${appId}/restore`).set(bearer(token)).send({}).expect(400);
    const { token: user } = await createUserWithToken(app, 'user');
    await app.api.post(`/api/v1/apps/${appId}/backup`).set(bearer(user)).expect(403);
    await app.api.post(`/api/v1/apps/${appId}/restore`).set(bearer(user)).send({ backupId }).expect(403);
  });

  it('fails a restore with the wrong key, and leaves the app untouched', async () => {
    await sh('echo changed > /app/data/note');
    await app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ password: 'another backup password' }).expect(200);
    try {
      const task = await restore(backupId);
      expect(task).toMatchObject({ success: false, error: { code: 'failed', message: expect.stringMatching(/app is unchanged.*encrypted with a different key/) } });
      expect(await waitForApp(app, token, appId)).toMatchObject({ installationState: 'installed', runState: 'running', error: null });
      expect(await sh('cat /app/data/note')).toBe('changed\n');
    } finally {
      await app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ password: PASSWORD }).expect(200);
    }
  });

  it('fails a restore from a damaged or cut archive, and leaves the app untouched; verify finds the damage', async () => {
    const verifyTask = async () => {
      const res = await app.api.post(`/api/v1/backups/${backupId}/verify`).set(bearer(token)).expect(202);
      return waitForTask(app, token, res.body.taskId);
    };
    expect(await verifyTask()).toMatchObject({ success: true, result: { backupId, files: 2 } });

    const file = fileOf(backupId, 'data.tar.gz.enc');
    const original = fs.readFileSync(file);
    try {
      const damaged = Buffer.from(original);
      damaged[Math.floor(damaged.length / 2)] ^= 0xff;
      fs.writeFileSync(file, damaged);
      expect(await verifyTask()).toMatchObject({ success: false, error: { message: expect.stringMatching(/damaged: data.tar.gz.enc: its SHA-256 checksum does not match/) } });
      expect((await restore(backupId)).error.message).toMatch(/app is unchanged: data.tar.gz.enc is corrupted/);
      expect(await sh('cat /app/data/note')).toBe('changed\n');

      fs.writeFileSync(file, original.subarray(0, original.length - 100));
      expect((await restore(backupId)).error.message).toMatch(/app is unchanged: data.tar.gz.enc is truncated/);
      expect(await waitForApp(app, token, appId)).toMatchObject({ installationState: 'installed', runState: 'running' });
      expect(await sh('cat /app/data/note')).toBe('changed\n');
    } finally {
      fs.writeFileSync(file, original);
    }
    expect((await restore(backupId)).success).toBe(true);
    expect(await sh('cat /app/data/note')).toBe('hello\n');
  });

  it('clones an app from a backup: same version, same data, new location', async () => {
    await app.api.post(`/api/v1/apps/${appId}/clone`).set(bearer(token)).send({ backupId: 'app-20200101T000000Z-00000000', location: 'copy', domain: 'backups.test' }).expect(404);
    const res = await app.api.post(`/api/v1/apps/${appId}/clone`).set(bearer(token)).send({ backupId, location: 'copy', domain: 'backups.test' }).expect(201);
    expect(res.body).toEqual({ id: expect.any(String), taskId: expect.any(Number) });
    const clone = await waitForApp(app, token, res.body.id);
    expect(clone).toMatchObject({ installationState: 'installed', runState: 'running', fqdn: 'copy.backups.test', manifest: { version: '1.0.0' } });
    const inClone = await execWs(server.url, token, res.body.id, ['sh', '-c', 'sha256sum /app/data/blob; cat /app/data/note']);
    expect(inClone.stdout).toBe(`${blobSum}  /app/data/blob\nhello\n`);
    // The source is as it was.
    expect(await sh('cat /app/data/note')).toBe('hello\n');
    const events = await app.api.get('/api/v1/eventlog?action=app.clone').set(bearer(token)).expect(200);
    expect(events.body.eventlogs[0]).toMatchObject({ target: res.body.id, data: expect.objectContaining({ cloneOf: appId, backupId }) });
  });
});
