import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { version } from '../../server/version';
import { activate, bearer, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, installAndWait, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(240_000);

const DAY = 24 * 3600;

describe('box backups and retention', () => {
  let app: TestApp;
  let token: string;
  let instanceId: string;
  let kept: string;
  let skipped: string;

  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
    kept = (await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'kept', domain: 'box.test' })).id;
    skipped = (await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'skipped', domain: 'box.test', enableBackup: false })).id;
  });
  afterAll(async () => {
    await removeEngineObjects(app);
    await app.close();
  });

  const folderOf = (id: string) => path.join(app.dataDir, 'backups', instanceId, id);
  const boxBackup = async () => {
    const res = await app.api.post('/api/v1/backups/create').set(bearer(token)).expect(202);
    const task = await waitForTask(app, token, res.body.taskId);
    expect(task).toMatchObject({ success: true, type: 'backup' });
    return task.result as { backupId: string; dependsOn: string[] };
  };
  const appBackup = async () => {
    const res = await app.api.post(`/api/v1/apps/${kept}/backup`).set(bearer(token)).expect(202);
    const task = await waitForTask(app, token, res.body.taskId);
    expect(task.success).toBe(true);
    return (task.result as { backupId: string }).backupId;
  };
  const cleanup = async () => {
    const res = await app.api.post('/api/v1/backups/cleanup').set(bearer(token)).expect(202);
    const task = await waitForTask(app, token, res.body.taskId);
    expect(task).toMatchObject({ success: true, type: 'cleanBackups' });
    return (task.result as { removed: string[] }).removed.sort();
  };

  it('backs up every app with enableBackup, then the tenant records', async () => {
    const { backupId, dependsOn } = await boxBackup();
    expect(dependsOn).toHaveLength(1);
    const box = (await app.api.get('/api/v1/backups?type=box').set(bearer(token)).expect(200)).body.backups;
    expect(box).toEqual([expect.objectContaining({ id: backupId, type: 'box', identifier: 'box', state: 'normal', version, dependsOn, manifest: null, encrypted: false })]);
    expect(box[0].files.map((f: { name: string }) => f.name)).toEqual(['db.json.gz', 'index.json']);
    const appBackup = (await app.api.get(`/api/v1/backups/${dependsOn[0]}`).set(bearer(token)).expect(200)).body;
    expect(appBackup).toMatchObject({ type: 'app', identifier: kept, state: 'normal' });
    expect((await app.api.get(`/api/v1/apps/${skipped}/backups`).set(bearer(token)).expect(200)).body.backups).toEqual([]);

    const dump = JSON.parse(gunzipSync(fs.readFileSync(path.join(folderOf(backupId), 'db.json.gz'))).toString());
    expect(dump.instances.map((r: { id: string }) => r.id)).toEqual([instanceId]);
    expect(dump.apps.map((r: { id: string }) => r.id).sort()).toEqual([kept, skipped].sort());
    expect(dump.users.map((r: { username: string }) => r.username)).toEqual(['oksana']);
    expect(dump.backups.map((r: { id: string }) => r.id)).toContain(dependsOn[0]);
    expect(dump.settings.map((r: { name: string }) => r.name)).not.toContain('backup_config');

    for (const id of [kept, skipped]) expect(await waitForApp(app, token, id)).toMatchObject({ installationState: 'installed', runState: 'running' });
    const events = await app.api.get('/api/v1/eventlog?action=backup.start').set(bearer(token)).expect(200);
    expect(events.body.eventlogs).toHaveLength(1);
  });

  it('removes expired backups, but keeps preserved ones, the newest and what a kept box backup needs', async () => {
    await app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ retentionSecs: DAY }).expect(200);
    const second = await boxBackup();
    const lone = await appBackup();
    const all = (await app.api.get('/api/v1/backups?per_page=100').set(bearer(token)).expect(200)).body.backups as Array<{ id: string; type: string; dependsOn: string[] }>;
    expect(all.map((b) => b.id)).toHaveLength(5);
    const [firstBox] = all.filter((b) => b.type === 'box' && b.id !== second.backupId);

    // Nothing is old yet.
    expect(await cleanup()).toEqual([]);

    // Ten days pass (for the rows): each keeps its order.
    for (const [index, backup] of all.entries()) {
      await app.berth.db('backups').where({ id: backup.id }).update({ created_at: new Date(Date.now() - (10 * DAY + index) * 1000).toISOString() });
    }
    // The first box backup is preserved for 30 days: it and its app backup stay.
    const preserved = await app.api.post(`/api/v1/backups/${firstBox.id}`).set(bearer(token)).send({ preserveSecs: 30 * DAY, label: 'keep me' }).expect(200);
    expect(preserved.body).toMatchObject({ id: firstBox.id, preserveSecs: 30 * DAY, label: 'keep me' });
    await app.api.post('/api/v1/backups/no-such-backup').set(bearer(token)).send({ preserveSecs: 1 }).expect(404);
    await app.api.post(`/api/v1/backups/${firstBox.id}`).set(bearer(token)).send({ preserveSecs: -1 }).expect(400);
    expect(await cleanup()).toEqual([]);

    await app.api.post(`/api/v1/backups/${firstBox.id}`).set(bearer(token)).send({ preserveSecs: 0 }).expect(200);
    // A row a crashed worker left `creating` long ago goes too.
    const now = new Date().toISOString();
    const stale = { ...(await app.berth.store.backups.get(instanceId, lone))!, id: 'app-stale-creating', remotePath: 'app-stale-creating', state: 'creating' as const, createdAt: new Date(Date.now() - 11 * DAY * 1000).toISOString(), updatedAt: now };
    await app.berth.store.backups.insert(stale);
    const removed = await cleanup();
    // Kept: the newest box backup and the app backup it needs, and the newest app backup.
    expect(removed).toEqual([firstBox.id, ...firstBox.dependsOn, stale.id].sort());
    const left = (await app.api.get('/api/v1/backups').set(bearer(token)).expect(200)).body.backups.map((b: { id: string }) => b.id).sort();
    expect(left).toEqual([second.backupId, ...second.dependsOn, lone].sort());
    for (const id of removed) expect(fs.existsSync(folderOf(id))).toBe(false);
    for (const id of left) expect(fs.existsSync(folderOf(id))).toBe(true);
  });

  it('pages the list', async () => {
    const first = (await app.api.get('/api/v1/backups?page=1&per_page=2').set(bearer(token)).expect(200)).body.backups;
    const second = (await app.api.get('/api/v1/backups?page=2&per_page=2').set(bearer(token)).expect(200)).body.backups;
    expect(first).toHaveLength(2);
    expect(second).toHaveLength(1);
    expect(first.map((b: { id: string }) => b.id)).not.toContain(second[0].id);
  });
});
