import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activate, bearer, createUserWithToken, startTestApp, type TestApp } from '../helpers/app';

/**
 * Jobs from the operator's INI file (BERTH_SCHEDULER_CONFIG) through the scheduler API: they show with origin
 * `config`; the API may override their schedule and enable or disable them, nothing else, and may not delete
 * them (403 naming the file); reload reports what changed and keeps the overrides; the file's `[global]` shows in
 * the default tenant's configuration, redacted, and in no other tenant's.
 */
describe('scheduler API: jobs from the INI file', () => {
  let app: TestApp;
  let owner: Record<string, string>;
  let dir: string;
  let file: string;

  const INI = `
[global]
slack-webhook = https://hooks.slack.com/services/T000/B000/XXXXSECRET
smtp-password = hunter2
email-to = ops@example.com

[job-exec "file-exec"]
schedule = @every 1h
container = web
command = echo from-file

[job-run "file-run"]
schedule = 0 4 * * *
image = busybox
command = true

[job-local "file-local"]
schedule = @daily
command = uptime
`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ini-'));
    file = path.join(dir, 'ofelia.ini');
    fs.writeFileSync(file, INI);
    app = await startTestApp({ workers: false, env: { BERTH_SCHEDULER_CONFIG: file } });
    owner = bearer((await activate(app)).token);
    // Tests run without schedules: the file is read when asked.
    const report = await app.berth.scheduler.schedulerConfig.reload();
    expect(report.errors).toEqual([]);
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists the file's jobs, local included (the operator's), with origin config", async () => {
    const res = await app.api.get('/api/jobs').set(owner).expect(200);
    expect(res.body.total).toBe(3);
    expect(res.body.jobs).toEqual([
      expect.objectContaining({ name: 'file-exec', type: 'exec', schedule: '@every 1h', container: 'web', origin: 'config', enabled: true }),
      expect.objectContaining({ name: 'file-local', type: 'local', origin: 'config' }),
      expect.objectContaining({ name: 'file-run', type: 'run', image: 'busybox', origin: 'config' }),
    ]);
  });

  it('accepts only a schedule override and the enabled flag on a file job', async () => {
    const res = await app.api.put('/api/job/file-exec').set(owner).send({ schedule: '*/10 * * * *' }).expect(200);
    expect(res.body).toEqual({ name: 'file-exec', updated: true, message: expect.any(String) });
    await app.api.put('/api/job/file-run').set(owner).send({ enabled: false }).expect(200);

    const detail = (await app.api.get('/api/job/file-exec').set(owner).expect(200)).body;
    expect(detail).toMatchObject({ schedule: '*/10 * * * *', command: 'echo from-file', origin: 'config' });
    expect((await app.api.get('/api/job/file-run').set(owner).expect(200)).body).toMatchObject({ enabled: false, nextRun: null });

    for (const body of [{ command: 'rm -rf /' }, { schedule: '@hourly', container: 'other' }, { environment: ['A=1'] }]) {
      const refused = await app.api.put('/api/job/file-exec').set(owner).send(body).expect(403);
      expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(file) });
    }
    const badSchedule = await app.api.put('/api/job/file-exec').set(owner).send({ schedule: '99 * * * *' }).expect(400);
    expect(badSchedule.body.error).toMatchObject({ code: 'INVALID_SCHEDULE', details: { field: 'schedule', position: expect.any(Number) } });
    expect((await app.api.get('/api/job/file-exec').set(owner).expect(200)).body).toMatchObject({ schedule: '*/10 * * * *', command: 'echo from-file' });
  });

  it('refuses to delete a file job, naming the file; toggling and running work', async () => {
    const res = await app.api.delete('/api/job/file-exec').set(owner).expect(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(res.body.error.message).toContain(`the configuration file ${file} (line`);
    await app.api.get('/api/job/file-exec').set(owner).expect(200);

    expect((await app.api.patch('/api/job/file-local/toggle').set(owner).expect(200)).body).toEqual({ name: 'file-local', enabled: false, message: 'Job disabled' });
    await app.api.patch('/api/job/file-local/toggle').set(owner).expect(200);
    const run = await app.api.post('/api/job/file-local/run').set(owner).expect(202);
    expect((await app.api.get(`/api/execution/${run.body.executionId}`).set(owner).expect(200)).body).toMatchObject({ job: 'file-local', status: 'queued' });
  });

  it("shows the file's globals in the default tenant's configuration, camelCased and redacted, with its own settings over them", async () => {
    await app.api.patch('/api/config/global').set(owner).send({ emailTo: 'me@example.com', dockerPollInterval: 30 }).expect(200);
    const config = (await app.api.get('/api/config').set(owner).expect(200)).body;
    expect(config.global).toEqual({
      slackWebhook: 'https://hooks.slack.com/...',
      smtpPassword: '[redacted]',
      emailTo: 'me@example.com',
      dockerPollInterval: 30,
    });
    expect(JSON.stringify(config)).not.toMatch(/hunter2|XXXXSECRET/);
    expect(config.jobs.exec).toEqual([expect.objectContaining({ name: 'file-exec', scheduleOverridden: true, environment: [], tty: false, user: null })]);
    expect(config.jobs.local.map((j: { name: string }) => j.name)).toEqual(['file-local']);
  });

  it("keeps the operator's file from other tenants", async () => {
    const created = await app.berth.tenants.create({ domain: 'other.ini.test', email: 'owner@other.ini.test' }, null);
    const other = bearer((await createUserWithToken(app, 'owner', { instanceId: created.instance.id })).token);
    const config = (await app.api.get('/api/config').set(other).expect(200)).body;
    expect(config).toEqual({ global: {}, jobs: { exec: [], run: [], local: [], service: [] } });
    await app.api.get('/api/job/file-exec').set(other).expect(404);
    await app.api.post('/api/scheduler/reload').set(other).expect(403);
  });

  it('reloads through the API: counts what changed, keeps the schedule override and the enabled flag', async () => {
    fs.writeFileSync(file, INI.replace('command = echo from-file', 'command = echo changed').replace(/\[job-local[\s\S]*$/, '') + `
[job-run "file-new"]
schedule = @hourly
image = alpine
`);
    const res = await app.api.post('/api/scheduler/reload').set(owner).expect(200);
    expect(res.body).toEqual({
      reloaded: true, jobsAdded: 1, jobsUpdated: 1, jobsRemoved: 1, message: 'Configuration reloaded successfully', refused: [], errors: [],
    });
    const exec = (await app.api.get('/api/job/file-exec').set(owner).expect(200)).body;
    expect(exec).toMatchObject({ command: 'echo changed', schedule: '*/10 * * * *' });
    expect((await app.api.get('/api/job/file-run').set(owner).expect(200)).body.enabled).toBe(false);
    await app.api.get('/api/job/file-local').set(owner).expect(404);
    await app.api.get('/api/job/file-new').set(owner).expect(200);
  });

  it('reports a broken file with its line and keeps its jobs', async () => {
    fs.writeFileSync(file, '[job-exec "x"]\nschedule = @daily\n[job-compose "y"]\n');
    const res = await app.api.post('/api/scheduler/reload').set(owner).expect(200);
    expect(res.body).toMatchObject({ reloaded: false, jobsAdded: 0, jobsUpdated: 0, jobsRemoved: 0, errors: [{ file, line: 3, message: expect.any(String) }] });
    expect(res.body.message).toContain('1 file(s) not read');
    expect((await app.api.get('/api/jobs').set(owner).expect(200)).body.total).toBe(3);
  });
});
