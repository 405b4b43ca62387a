import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';

/**
 * The scheduler API's job and execution routes on the real app, in seed 000's shapes (every response is checked
 * against openapi/scheduler.yaml). No worker runs (`workers: false`): an execution started here stays queued, so
 * run, read and stop are tested without the Docker runtime, which is not merged yet.
 */
describe('scheduler API: jobs and executions', () => {
  let app: TestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    app = await startTestApp({ workers: false });
    auth = bearer((await activate(app)).token);
  });
  afterAll(() => app.close());

  const backup = { type: 'exec', schedule: '@daily', command: 'backup.sh', container: 'myapp', user: 'nobody', environment: ['BACKUP_DIR=/data'] };

  it('creates a job with PUT of a new name (201), then updates it (200)', async () => {
    const created = await app.api.put('/api/job/backup').set(auth).send(backup).expect(201);
    expect(created.body).toEqual({ name: 'backup', created: true, message: expect.any(String) });

    const updated = await app.api.put('/api/job/backup').set(auth)
      .send({ schedule: '0 3 * * *', command: 'backup.sh --verbose', environment: ['BACKUP_DIR=/data', 'COMPRESSION=gzip'] })
      .expect(200);
    expect(updated.body).toEqual({ name: 'backup', updated: true, message: 'Job configuration updated successfully' });

    const job = (await app.api.get('/api/job/backup').set(auth).expect(200)).body;
    expect(job).toMatchObject({
      name: 'backup', type: 'exec', schedule: '0 3 * * *', command: 'backup.sh --verbose', container: 'myapp', user: 'nobody',
      environment: ['BACKUP_DIR=/data', 'COMPRESSION=gzip'], tty: false, lastRun: null, status: null, origin: 'api', enabled: true,
      history: [], metrics: { totalRuns: 0, successfulRuns: 0, failedRuns: 0, averageDuration: 0, lastSuccess: null, lastFailure: null },
    });
    expect(Date.parse(job.nextRun)).toBeGreaterThan(Date.now());
    expect(job.image).toBeUndefined();
  });

  it('creates a job with POST /api/jobs (201), and 409 for a name that exists', async () => {
    const body = { name: 'cleanup', type: 'run', schedule: '0 2 * * *', image: 'alpine:latest', command: 'cleanup.sh' };
    const res = await app.api.post('/api/jobs').set(auth).send(body).expect(201);
    expect(res.body).toEqual({ name: 'cleanup', created: true, message: expect.any(String) });
    const again = await app.api.post('/api/jobs').set(auth).send(body).expect(409);
    expect(again.body.error.code).toBe('CONFLICT');
  });

  it('lists jobs in the seed shape with total and running', async () => {
    const res = await app.api.get('/api/jobs').set(auth).expect(200);
    expect(res.body).toEqual({
      jobs: [
        expect.objectContaining({ name: 'backup', type: 'exec', schedule: '0 3 * * *', container: 'myapp', origin: 'api', status: null, enabled: true }),
        expect.objectContaining({ name: 'cleanup', type: 'run', image: 'alpine:latest', command: 'cleanup.sh', lastRun: null }),
      ],
      total: 2,
      running: 0,
    });
    expect(res.body.jobs[1].container).toBeUndefined();
  });

  it('toggles a job off and on', async () => {
    const off = await app.api.patch('/api/job/cleanup/toggle').set(auth).expect(200);
    expect(off.body).toEqual({ name: 'cleanup', enabled: false, message: 'Job disabled' });
    expect((await app.api.get('/api/job/cleanup').set(auth).expect(200)).body).toMatchObject({ enabled: false, nextRun: null });
    const on = await app.api.patch('/api/job/cleanup/toggle').set(auth).expect(200);
    expect(on.body).toEqual({ name: 'cleanup', enabled: true, message: 'Job enabled' });
  });

  let executionId: string;

  it('runs a job now: 202 with an executionId, and the execution reads queued', async () => {
    const res = await app.api.post('/api/job/backup/run').set(auth).expect(202);
    expect(res.body).toEqual({ executionId: expect.stringMatching(/^[0-9a-f-]{36}$/), job: 'backup', startTime: expect.any(String), status: 'running' });
    executionId = res.body.executionId;

    const execution = await app.api.get(`/api/execution/${executionId}`).set(auth).expect(200);
    expect(execution.body).toMatchObject({
      executionId, job: 'backup', status: 'queued', endTime: null, duration: null, output: null, error: null, exitCode: null, trigger: 'manual', attempts: 0, scheduledTime: null,
    });
    expect(execution.body.startTime).toBe(res.body.startTime);
  });

  it('shows a job with a queued execution as running, in the list and in its detail', async () => {
    const list = await app.api.get('/api/jobs').set(auth).expect(200);
    expect(list.body.running).toBe(1);
    expect(list.body.jobs.find((j: { name: string }) => j.name === 'backup').status).toBe('running');
    const detail = await app.api.get('/api/job/backup').set(auth).expect(200);
    expect(detail.body.status).toBe('running');
    expect(detail.body.history).toEqual([expect.objectContaining({ executionId, status: 'queued', endTime: null, duration: null })]);
  });

  it('reads the execution log', async () => {
    const res = await app.api.get(`/api/execution/${executionId}/logs`).set(auth).expect(200);
    expect(res.body.executionId).toBe(executionId);
    expect(Array.isArray(res.body.logs)).toBe(true);
    for (const line of res.body.logs) expect(line).toEqual({ timestamp: expect.any(String), level: 'info', message: expect.any(String) });
  });

  it('stops a queued execution: it ends stopped at once, and a second stop is 409', async () => {
    const res = await app.api.post(`/api/execution/${executionId}/stop`).set(auth).expect(200);
    expect(res.body).toEqual({ executionId, stopped: true, message: 'Execution stopped' });
    const execution = (await app.api.get(`/api/execution/${executionId}`).set(auth).expect(200)).body;
    expect(execution).toMatchObject({ status: 'stopped', endTime: expect.any(String), duration: 0 });
    expect((await app.api.post(`/api/execution/${executionId}/stop`).set(auth).expect(409)).body.error.code).toBe('CONFLICT');

    // The job takes the stopped run as its last one.
    const job = (await app.api.get('/api/job/backup').set(auth).expect(200)).body;
    expect(job).toMatchObject({ status: 'stopped', lastRun: expect.any(String) });
    expect(job.metrics).toMatchObject({ totalRuns: 1, successfulRuns: 0, failedRuns: 1, lastFailure: expect.any(String) });
    expect(Number.isInteger(job.metrics.averageDuration)).toBe(true);
  });

  it('answers 404 NOT_FOUND for an execution that does not exist', async () => {
    const res = await app.api.get('/api/execution/00000000-0000-4000-8000-000000000000').set(auth).expect(404);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('not found') });
    await app.api.post('/api/execution/nope/stop').set(auth).expect(404);
    await app.api.get('/api/execution/nope/logs').set(auth).expect(404);
  });

  it('deletes an API job, after which it is 404 JOB_NOT_FOUND', async () => {
    const res = await app.api.delete('/api/job/cleanup').set(auth).expect(200);
    expect(res.body).toEqual({ name: 'cleanup', deleted: true, message: 'Job deleted successfully' });
    const gone = await app.api.get('/api/job/cleanup').set(auth).expect(404);
    expect(gone.body.error).toEqual({ code: 'JOB_NOT_FOUND', message: "Job 'cleanup' not found", details: expect.objectContaining({ job: 'cleanup' }) });
    for (const req of [app.api.delete('/api/job/cleanup'), app.api.patch('/api/job/cleanup/toggle'), app.api.post('/api/job/cleanup/run')]) {
      expect((await req.set(auth).expect(404)).body.error.code).toBe('JOB_NOT_FOUND');
    }
  });

  it('reports, stops and starts the scheduler', async () => {
    const status = (await app.api.get('/api/scheduler/status').set(auth).expect(200)).body;
    expect(status).toMatchObject({ running: true, totalJobs: 1, activeJobs: 1, runningJobs: 0, nextJob: { name: 'backup', scheduledTime: expect.any(String) } });
    expect(Number.isInteger(status.uptime)).toBe(true);

    expect((await app.api.post('/api/scheduler/stop').set(auth).expect(200)).body).toEqual({ running: false, message: 'Scheduler stopped' });
    expect((await app.api.get('/api/scheduler/status').set(auth).expect(200)).body).toMatchObject({ running: false, uptime: 0, nextJob: null });
    expect((await app.api.post('/api/scheduler/start').set(auth).expect(200)).body).toEqual({ running: true, message: 'Scheduler started' });
    expect((await app.api.get('/api/scheduler/status').set(auth).expect(200)).body.running).toBe(true);
  });

  it('shows the configuration: globals and the jobs by type', async () => {
    await app.api.put('/api/job/svc').set(auth).send({ type: 'service-run', schedule: '@hourly', image: 'busybox', network: 'jobs', command: 'true' }).expect(201);
    const res = await app.api.get('/api/config').set(auth).expect(200);
    expect(res.body.global).toEqual({});
    expect(res.body.jobs.exec.map((j: { name: string }) => j.name)).toEqual(['backup']);
    expect(res.body.jobs.run).toEqual([]);
    expect(res.body.jobs.local).toEqual([]);
    expect(res.body.jobs.service).toEqual([expect.objectContaining({ name: 'svc', type: 'service-run', network: 'jobs', environment: [], scheduleOverridden: false })]);
  });

  it('changes the global configuration, validating each key; null removes one; secrets are not shown back', async () => {
    const res = await app.api.patch('/api/config/global').set(auth)
      .send({ dockerPollInterval: 60, slackChannel: '#alerts', slackWebhook: 'https://hooks.slack.com/services/T0/B0/secret', emailTo: 'a@example.com, b@example.com' })
      .expect(200);
    expect(res.body).toEqual({
      updated: true,
      message: 'Global configuration updated',
      global: { dockerPollInterval: 60, slackChannel: '#alerts', slackWebhook: 'https://hooks.slack.com/...', emailTo: 'a@example.com, b@example.com' },
    });
    await app.api.patch('/api/config/global').set(auth).send({ slackChannel: null }).expect(200);
    expect((await app.api.get('/api/config').set(auth).expect(200)).body.global).toEqual({
      dockerPollInterval: 60, slackWebhook: 'https://hooks.slack.com/...', emailTo: 'a@example.com, b@example.com',
    });
  });
});
