import { activate, bearer, createUserWithToken, OWNER, startTestApp, type TestApp } from '../helpers/app';
import { startSmtpServer } from '../helpers/smtp';

jest.setTimeout(60_000);

const HOUR = 3600_000;

/**
 * Notifications through the real app: the backup schedule notices backups that stopped succeeding, tells the
 * admins once (in /notifications and by mail), and the readiness report says so; admins acknowledge them.
 */
describe('notifications', () => {
  let app: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let token: string;
  let instanceId: string;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    app = await startTestApp({ env: { BERTH_SMTP_URL: smtp.url } });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(async () => {
    await app.close();
    await smtp.close();
  });

  const list = async (query = '') => (await app.api.get(`/api/v1/notifications${query}`).set(bearer(token)).expect(200)).body.notifications;
  /** A box backup row as the backup task leaves it, `hoursAgo` old. */
  const backupRow = (id: string, state: 'normal' | 'error', hoursAgo: number) => {
    const at = new Date(Date.now() - hoursAgo * HOUR).toISOString();
    return app.berth.db('backups').insert({
      id, instance_id: instanceId, type: 'box', identifier: 'box', state, format: 'tgz', encrypted: false, version: '1', remote_path: id,
      files: '[]', depends_on: '[]', manifest: null, size: 0, preserve_secs: 0, label: '', error: state === 'error' ? 'disk full' : null, created_at: at, updated_at: at,
    });
  };

  it('none at first; tenants without a backup configuration are never judged', async () => {
    expect(await list()).toEqual([]);
    await app.berth.backupSchedule.runDue();
    expect(await list()).toEqual([]);
    const ready = await app.api.get('/health/readiness').expect(200);
    expect(ready.body.backups).toBe('ok');
  });

  it('backups failing for more than twice the interval: one notification, mailed to the admins, and readiness says overdue', async () => {
    await app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send({ intervalSecs: 6 * 3600 }).expect(200);
    await backupRow('box-ok-old', 'normal', 13);
    await backupRow('box-failed', 'error', 1);
    // A backup is due as well: keep the schedule from starting one (no workers here), it only has to judge.
    await app.berth.backupSchedule.runDue().catch(() => undefined);
    await app.berth.backupSchedule.runDue().catch(() => undefined);

    const open = await list('?acknowledged=false');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ title: 'Backups are failing', acknowledged: false, eventId: null });
    expect(open[0].message).toContain('No backup has succeeded since');
    expect(open[0].message).toContain('(6 h)');
    expect(smtp.mails.filter((m) => m.raw.includes('Subject: Backups are failing')).map((m) => m.to)).toEqual([[OWNER.email]]);

    const ready = await app.api.get('/health/readiness').expect(200);
    expect(ready.body).toMatchObject({ ready: true, backups: 'overdue' });

    const one = await app.api.get(`/api/v1/notifications/${open[0].id}`).set(bearer(token)).expect(200);
    expect(one.body).toEqual(open[0]);
  });

  it('acknowledging closes it; the next occurrence is a new one', async () => {
    const [open] = await list('?acknowledged=false');
    await app.api.post(`/api/v1/notifications/${open.id}`).set(bearer(token)).send({ acknowledged: true }).expect(204);
    expect(await list('?acknowledged=false')).toEqual([]);
    expect(await list('?acknowledged=true')).toMatchObject([{ id: open.id, acknowledged: true }]);

    await app.berth.backupSchedule.runDue().catch(() => undefined);
    const again = await list('?acknowledged=false');
    expect(again).toHaveLength(1);
    expect(again[0].id).not.toBe(open.id);
  });

  it('a recent successful backup: nothing new, and readiness is ok again', async () => {
    for (const n of await list('?acknowledged=false')) {
      await app.api.post(`/api/v1/notifications/${n.id}`).set(bearer(token)).send({ acknowledged: true }).expect(204);
    }
    await backupRow('box-ok-new', 'normal', 1);
    await app.berth.backupSchedule.runDue().catch(() => undefined);
    expect(await list('?acknowledged=false')).toEqual([]);
    expect((await app.api.get('/health/readiness').expect(200)).body.backups).toBe('ok');
  });

  it('bad input and unknown ids get clear 4xx; only admins may read them', async () => {
    const [any] = await list();
    const bad = await app.api.post(`/api/v1/notifications/${any.id}`).set(bearer(token)).send({ acknowledged: 'yes' }).expect(400);
    expect(bad.body.message).toMatch(/acknowledged/);
    await app.api.post(`/api/v1/notifications/${any.id}`).set(bearer(token)).send({}).expect(400);
    await app.api.get('/api/v1/notifications/ntf-nope').set(bearer(token)).expect(404);
    await app.api.post('/api/v1/notifications/ntf-nope').set(bearer(token)).send({ acknowledged: true }).expect(404);
    await app.api.get('/api/v1/notifications?acknowledged=maybe').set(bearer(token)).expect(400);

    const user = await createUserWithToken(app, 'user');
    await app.api.get('/api/v1/notifications').set(bearer(user.token)).expect(403);
    await app.api.get(`/api/v1/notifications/${any.id}`).set(bearer(user.token)).expect(403);
    await app.api.get('/api/v1/notifications').expect(401);
  });
});
