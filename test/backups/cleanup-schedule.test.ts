import { cleanupDue, wallClock } from '../../services/backups/cleanup-time';
import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';

jest.setTimeout(60_000);

describe('the daily cleanup time, in the box time zone', () => {
  const at = (iso: string) => new Date(iso);

  it('reads wall clocks in a zone', () => {
    expect(wallClock(at('2026-12-01T18:40:00Z'), 'Asia/Tokyo')).toEqual({ date: '2026-12-02', time: '03:40' });
    expect(wallClock(at('2026-12-01T03:40:00Z'), 'UTC')).toEqual({ date: '2026-12-01', time: '03:40' });
  });

  it('is due once per local day, from 03:30 there', () => {
    const tokyo = 'Asia/Tokyo';
    expect(cleanupDue(at('2026-12-01T18:20:00Z'), null, tokyo)).toBe(false); // 03:20 in Tokyo
    expect(cleanupDue(at('2026-12-01T18:40:00Z'), null, tokyo)).toBe(true); // 03:40
    expect(cleanupDue(at('2026-12-01T20:00:00Z'), at('2026-12-01T18:40:00Z'), tokyo)).toBe(false); // done today
    expect(cleanupDue(at('2026-12-01T20:00:00Z'), at('2026-12-01T18:00:00Z'), tokyo)).toBe(true); // last one before 03:30
    expect(cleanupDue(at('2026-12-02T18:31:00Z'), at('2026-12-01T18:40:00Z'), tokyo)).toBe(true); // the next day
    // 03:40 UTC is 12:40 in Tokyo: a UTC box and a Tokyo box clean up at different instants.
    expect(cleanupDue(at('2026-12-01T03:40:00Z'), at('2026-11-30T18:40:00Z'), 'UTC')).toBe(true);
    expect(cleanupDue(at('2026-12-01T03:40:00Z'), at('2026-11-30T18:40:00Z'), tokyo)).toBe(false);
  });
});

/** Through the real schedule with an injected clock: cleanBackups tasks appear once a local day. */
describe('the daily cleanup in the schedule', () => {
  let app: TestApp;
  let token: string;
  let now = Date.parse('2026-12-01T18:20:00Z'); // 03:20 in Tokyo
  beforeAll(async () => {
    app = await startTestApp({ clock: () => new Date(now) });
    token = (await activate(app)).token;
  });
  afterAll(() => app.close());

  const cleanups = async () => (await app.api.get('/api/v1/tasks?type=cleanBackups').set(bearer(token)).expect(200)).body.tasks.length as number;

  it('starts none for a tenant without backups, then one a day at 03:30 in its time zone', async () => {
    await app.api.post('/api/v1/settings/time_zone').set(bearer(token)).send({ timeZone: 'Asia/Tokyo' }).expect(200);
    now = Date.parse('2026-12-01T18:40:00Z');
    await app.berth.backupSchedule.runDue();
    expect(await cleanups()).toBe(0); // no backups at all: nothing to clean

    const instanceId = (await app.berth.store.instances.findDefault())!.id;
    const made = new Date(now - 3 * 86_400_000).toISOString();
    await app.berth.db('backups').insert({
      id: 'box-old', instance_id: instanceId, type: 'box', identifier: 'box', state: 'normal', format: 'tgz', encrypted: false, version: '1', remote_path: 'box-old',
      files: '[]', depends_on: '[]', manifest: null, size: 0, preserve_secs: 0, label: '', error: null, created_at: made, updated_at: made,
    });
    now = Date.parse('2026-12-01T18:20:00Z'); // 03:20 there
    await app.berth.backupSchedule.runDue();
    expect(await cleanups()).toBe(0);
    now = Date.parse('2026-12-01T18:40:00Z'); // 03:40 there
    await app.berth.backupSchedule.runDue();
    await app.berth.backupSchedule.runDue();
    expect(await cleanups()).toBe(1);
    const events = (await app.api.get('/api/v1/eventlog?action=backup.cleanup').set(bearer(token)).expect(200)).body.eventlogs;
    expect(events[0]).toMatchObject({ source: { type: 'system', userId: null } });

    now = Date.parse('2026-12-02T18:35:00Z'); // the next day, 03:35 there
    await app.berth.backupSchedule.runDue();
    expect(await cleanups()).toBe(2);
  });
});
