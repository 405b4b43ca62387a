import { activate, bearer, startTestApp, waitForTask, type TestApp } from '../helpers/app';

jest.setTimeout(60_000);

describe('automatic backups', () => {
  let app: TestApp;
  let token: string;
  let instanceId: string;
  beforeAll(async () => {
    app = await startTestApp({ workers: true });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(() => app.close());

  const tasksOf = async (type: string) =>
    (await app.api.get(`/api/v1/tasks?type=${type}`).set(bearer(token)).expect(200)).body.tasks as Array<{ id: number }>;

  it('start only for tenants that configured backups, once intervalSecs has passed', async () => {
    expect(await app.berth.backupSchedule.runDue()).toEqual([]);

    await app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ intervalSecs: 6 * 3600 }).expect(200);
    expect(await app.berth.backupSchedule.runDue()).toEqual([instanceId]);
    const [backup] = await tasksOf('backup');
    expect(await waitForTask(app, token, backup.id)).toMatchObject({ success: true });
    const [cleanup] = await tasksOf('cleanBackups');
    expect(await waitForTask(app, token, cleanup.id)).toMatchObject({ success: true });

    // The newest box backup is recent: nothing is due.
    expect(await app.berth.backupSchedule.runDue()).toEqual([]);

    // Seven hours later (for the row), the next one is.
    const [box] = (await app.api.get('/api/v1/backups?type=box').set(bearer(token)).expect(200)).body.backups;
    await app.berth.db('backups').where({ id: box.id }).update({ created_at: new Date(Date.now() - 7 * 3600_000).toISOString() });
    expect(await app.berth.backupSchedule.runDue()).toEqual([instanceId]);
    const [next] = await tasksOf('backup');
    expect(next.id).not.toBe(backup.id);
    expect(await waitForTask(app, token, next.id)).toMatchObject({ success: true });

    const events = await app.api.get('/api/v1/eventlog?action=backup.start').set(bearer(token)).expect(200);
    expect(events.body.eventlogs[0]).toMatchObject({ source: { type: 'system', userId: null } });
  });
});
