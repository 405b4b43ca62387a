import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { App } from '../../services/apps/app-repo';
import { AppSettler } from '../../services/apps/app-settle';
import { APP_TASK_TYPE, appObjectKey } from '../../services/apps/app-tasks';
import { parseManifest } from '../../services/apps/manifest';
import { systemClock } from '../../services/core/clock';
import { activate, bearer, startTestApp, TASK_ENV, type TestApp } from '../helpers/app';

/**
 * The app task's settle hook and the start-up sweep (services/apps/app-settle.ts), without workers: app tasks
 * stay pending until stopped, and no engine is needed. Reads never write the app row.
 */
describe('apps follow their tasks however they end', () => {
  let app: TestApp;
  let token: string;
  let instanceId: string;
  const manifest = parseManifest(JSON.parse(fs.readFileSync(path.join(__dirname, '../../services/apps/catalogue/io.berth.staticweb.json'), 'utf8')));

  beforeAll(async () => {
    app = await startTestApp({ env: TASK_ENV });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(() => app.close());

  const settler = () => new AppSettler({ apps: app.berth.store.apps, tasks: app.berth.store.tasks, clock: systemClock });

  /** An app row in pending_install, as AppService.install leaves it, with an app task of its own unless told. */
  async function pendingApp(withTask = true): Promise<{ row: App; taskId: number }> {
    const id = randomUUID();
    const now = new Date().toISOString();
    const location = `s${id.slice(0, 8)}`;
    const row: App = {
      id, instanceId, appStoreId: null, manifest, installationState: 'pending_install', runState: 'running', health: null, healthTime: null,
      taskId: null, error: null, location, domain: 'example.com', fqdn: `${location}.example.com`, accessRestriction: null, label: null, tags: [],
      memoryLimit: 0, env: {}, sso: true, enableBackup: true, enableAutomaticUpdate: true, alternateDomains: [], httpPort: null, hasIcon: false,
      portBindings: [], createdAt: now, updatedAt: now,
    };
    await app.berth.store.apps.insert(row);
    const taskId = withTask
      ? (await app.berth.tasks.create(APP_TASK_TYPE, { instanceId, args: { appId: id, op: 'install' }, objectKey: appObjectKey(id) })).id
      : 987_654_321;
    await app.berth.store.apps.update(id, { taskId }, now);
    return { row, taskId };
  }

  const read = async (id: string) => (await app.api.get(`/api/v1/apps/${id}`).set(bearer(token)).expect(200)).body;

  it('moves the app to error when its task is stopped while queued', async () => {
    const { row, taskId } = await pendingApp();
    await app.berth.tasks.stop(instanceId, taskId);
    expect(await read(row.id)).toMatchObject({
      installationState: 'error',
      error: { installationState: 'pending_install', taskId, reason: 'stopped', message: 'Stopped' },
    });
  });

  it('does not write on a read: an ended task the hook never saw is settled by the start-up sweep', async () => {
    const { row, taskId } = await pendingApp();
    // The row ended with no hook run (the process died between the two).
    await app.berth.db('tasks').where({ id: taskId }).update({ state: 'error', error_code: 'timeout', error_message: 'The task took longer than its time limit', ended_at: Date.now() });
    expect(await read(row.id)).toMatchObject({ installationState: 'pending_install', error: null });
    expect(await read(row.id)).toMatchObject({ installationState: 'pending_install' });
    expect(await settler().sweep()).toBeGreaterThanOrEqual(1);
    expect(await read(row.id)).toMatchObject({
      installationState: 'error',
      error: { installationState: 'pending_install', taskId, reason: 'timeout', message: 'The task took longer than its time limit' },
    });
  });

  it('settles an app whose task row is gone as lost', async () => {
    const { row } = await pendingApp(false);
    await settler().sweep();
    expect(await read(row.id)).toMatchObject({ installationState: 'error', error: { reason: 'lost', message: 'The task was lost', installationState: 'pending_install' } });
  });

  it('leaves an app alone when the task that ended is not its current one, or did not fail', async () => {
    const { row, taskId } = await pendingApp();
    const ended = await app.berth.store.tasks.get(taskId);
    await settler().settled({ task: { ...ended!, id: taskId + 1_000_000, state: 'error', error: { code: 'stopped', message: 'Stopped' } }, args: { appId: row.id, op: 'install' } });
    await settler().settled({ task: { ...ended!, state: 'success' }, args: { appId: row.id, op: 'install' } });
    expect(await read(row.id)).toMatchObject({ installationState: 'pending_install', taskId });
    await app.berth.tasks.stop(instanceId, taskId);
  });

  it('does not fail an uninstall that pre-empts a queued install (the stopped install ends before the uninstall task is written)', async () => {
    const { row, taskId } = await pendingApp();
    const res = await app.api.post(`/api/v1/apps/${row.id}/uninstall`).set(bearer(token)).expect(202);
    expect((await app.berth.store.tasks.get(taskId))!.error).toMatchObject({ code: 'stopped' });
    expect(await read(row.id)).toMatchObject({ installationState: 'pending_uninstall', taskId: res.body.taskId, error: null });
    // A second uninstall is refused while the first is pending, as the API promises.
    await app.api.post(`/api/v1/apps/${row.id}/uninstall`).set(bearer(token)).expect(409);
    await app.berth.tasks.stop(instanceId, res.body.taskId);
  });
});
