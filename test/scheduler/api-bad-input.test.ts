import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';

/**
 * Bad input to the scheduler API: each a clear 4xx in seed 000's error shape with its code (INVALID_SCHEDULE naming
 * the field and the position, VALIDATION_ERROR naming the field, FORBIDDEN, JOB_NOT_FOUND), never a 500, and the
 * job already stored is unchanged afterwards.
 */
describe('scheduler API: bad input', () => {
  let app: TestApp;
  let auth: Record<string, string>;
  const stored = { type: 'exec', schedule: '*/5 * * * *', command: 'echo ok', container: 'web', environment: ['A=1'], historyLimit: 5 };

  beforeAll(async () => {
    app = await startTestApp({ workers: false });
    auth = bearer((await activate(app)).token);
    await app.api.put('/api/job/kept').set(auth).send(stored).expect(201);
  });
  afterAll(() => app.close());

  const put = (name: string, body: unknown) => app.api.put(`/api/job/${name}`).set(auth).send(body as object);
  const job = (extra: Record<string, unknown>) => ({ type: 'exec', schedule: '@hourly', command: 'true', container: 'web', ...extra });

  it('refuses an invalid schedule with INVALID_SCHEDULE naming the field and the position', async () => {
    const res = await put('new', job({ schedule: '0 25 * * *' })).expect(400);
    expect(res.body.error).toMatchObject({
      code: 'INVALID_SCHEDULE',
      message: expect.stringContaining('schedule'),
      details: { field: 'schedule', position: expect.any(Number), cronField: expect.any(String) },
    });
    expect(res.body.error.details.position).toBeGreaterThanOrEqual(2);

    for (const schedule of ['@every banana', '@sometimes', '* * *', '']) {
      const bad = await put('new', job({ schedule })).expect(400);
      expect([schedule, bad.body.error.code, bad.body.error.details.field]).toEqual([schedule, 'INVALID_SCHEDULE', 'schedule']);
      expect(typeof bad.body.error.details.position).toBe('number');
    }
    // Changing a stored job's schedule is checked the same way, and POST too.
    expect((await put('kept', { schedule: '61 * * * *' }).expect(400)).body.error.code).toBe('INVALID_SCHEDULE');
    const posted = await app.api.post('/api/jobs').set(auth).send({ name: 'new', ...job({ schedule: '* * * * * * *' }) }).expect(400);
    expect(posted.body.error.code).toBe('INVALID_SCHEDULE');
  });

  it('refuses environment entries that are not KEY=value', async () => {
    for (const environment of [['NOPE'], ['=x'], ['1A=2'], ['A=1', 'B']]) {
      const res = await put('new', job({ environment })).expect(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'environment' } });
    }
    expect((await put('new', job({ environment: 'A=1' })).expect(400)).body.error.code).toBe('VALIDATION_ERROR');
  });

  it('refuses a history limit out of range, and other limits', async () => {
    for (const historyLimit of [0, -1, 1001, 1e20, 2.5]) {
      const res = await put('new', job({ historyLimit })).expect(400);
      expect([historyLimit, res.body.error.code, res.body.error.details.field]).toEqual([historyLimit, 'VALIDATION_ERROR', 'historyLimit']);
    }
    expect((await put('new', job({ maxRetries: 11 })).expect(400)).body.error.details.field).toBe('maxRetries');
    expect((await put('new', job({ maxRuntime: 'forever' })).expect(400)).body.error.details.field).toBe('maxRuntime');
    expect((await put('new', job({ maxRuntime: '48h' })).expect(400)).body.error.details.field).toBe('maxRuntime');
  });

  it('refuses a command over the size limit, in characters and in bytes', async () => {
    const long = await put('new', job({ command: 'x'.repeat(8193) })).expect(400);
    expect(long.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'command' } });
    // 3000 characters of 3 bytes each: within the schema's length, over the 8192-byte limit.
    const wide = await put('new', job({ command: '€'.repeat(3000) })).expect(400);
    expect(wide.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'command' }, message: expect.stringContaining('8192 bytes') });
  });

  it('refuses a local job from a tenant token (403): local jobs are the operator\'s', async () => {
    const res = await put('host', { type: 'local', schedule: '@daily', command: 'rm -rf /tmp/x' }).expect(403);
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('local') });
    await app.api.post('/api/jobs').set(auth).send({ name: 'host', type: 'local', schedule: '@daily', command: 'id' }).expect(403);
    // Nor can an exec job become local.
    expect((await put('kept', { type: 'local' }).expect(403)).body.error.code).toBe('FORBIDDEN');
  });

  it('refuses what a job type needs but lacks, and an unknown type', async () => {
    expect((await put('new', { type: 'exec', schedule: '@daily', command: 'true' }).expect(400)).body.error.details.field).toBe('container');
    expect((await put('new', { type: 'run', schedule: '@daily' }).expect(400)).body.error.details.field).toBe('image');
    expect((await put('new', { type: 'service-run', schedule: '@daily' }).expect(400)).body.error.details.field).toBe('image');
    expect((await put('new', { schedule: '@daily', command: 'true' }).expect(400)).body.error.details.field).toBe('type');
    expect((await put('new', job({ type: 'compose' })).expect(400)).body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'type' } });
  });

  it('answers JOB_NOT_FOUND for a job that does not exist', async () => {
    for (const req of [
      app.api.get('/api/job/ghost'), app.api.delete('/api/job/ghost'), app.api.patch('/api/job/ghost/toggle'), app.api.post('/api/job/ghost/run'),
    ]) {
      const res = await req.set(auth).expect(404);
      expect(res.body.error).toEqual({ code: 'JOB_NOT_FOUND', message: "Job 'ghost' not found", details: expect.objectContaining({ job: 'ghost' }) });
    }
  });

  it('refuses malformed JSON, unknown fields, wrong types and bad names as VALIDATION_ERROR', async () => {
    const malformed = await app.api.put('/api/job/new').set(auth).set('Content-Type', 'application/json').send('{"schedule": ').expect(400);
    expect(malformed.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { reason: 'MALFORMED_JSON' } });
    const unknown = await put('new', job({ frobnicate: true })).expect(400);
    expect(unknown.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringContaining('frobnicate') });
    expect((await put('new', job({ tty: 'perhaps' })).expect(400)).body.error.details.field).toBe('tty');
    expect((await put('new', {}).expect(400)).body.error.code).toBe('VALIDATION_ERROR');
    expect((await put('new', ['x']).expect(400)).body.error.code).toBe('VALIDATION_ERROR');
    expect((await put('new', job({ name: 'other' })).expect(400)).body.error.details.field).toBe('name');
    const badName = await app.api.post('/api/jobs').set(auth).send({ name: 'has space', ...job({}) }).expect(400);
    expect(badName.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'name' } });
    expect((await put('bad%20name', job({})).expect(400)).body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'name' } });
    await app.api.get(`/api/job/${'x'.repeat(300)}`).set(auth).expect(400);
    const nul = await app.api.put('/api/job/new').set(auth).set('Content-Type', 'application/json').send('{"command": "a\\u0000b"}').expect(400);
    expect(nul.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('refuses unknown keys and bad values in the global configuration', async () => {
    const patch = (body: unknown) => app.api.patch('/api/config/global').set(auth).send(body as object);
    expect((await patch({ dockerHost: 'tcp://evil:2375' }).expect(400)).body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'dockerHost' } });
    expect((await patch({ smtpPassword: 'x' }).expect(400)).body.error.code).toBe('VALIDATION_ERROR');
    expect((await patch({ slackURL: 'http://hooks.slack.com/x' }).expect(400)).body.error.details.field).toBe('slackURL');
    expect((await patch({ webhookURL: 'https://user:pw@example.com/' }).expect(400)).body.error.details.field).toBe('webhookURL');
    expect((await patch({ emailFrom: 'not an email' }).expect(400)).body.error.details.field).toBe('emailFrom');
    expect((await patch({ emailTo: 'a@example.com,' }).expect(400)).body.error.details.field).toBe('emailTo');
    expect((await patch({ dockerPollInterval: 0 }).expect(400)).body.error.details.field).toBe('dockerPollInterval');
    expect((await patch({ slackChannel: 'no spaces allowed' }).expect(400)).body.error.details.field).toBe('slackChannel');
    expect((await patch({}).expect(400)).body.error.code).toBe('VALIDATION_ERROR');
    // Nothing was stored by the refused changes.
    expect((await app.api.get('/api/config').set(auth).expect(200)).body.global).toEqual({});
  });

  it('answers routes and methods the document lacks in the same error shape', async () => {
    expect((await app.api.get('/api/jobs/extra').set(auth).expect(404)).body.error.code).toBe('NOT_FOUND');
    expect((await app.api.post('/api/job/kept').set(auth).expect(405)).body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('kept the stored job exactly as it was through all of it', async () => {
    const res = await app.api.get('/api/job/kept').set(auth).expect(200);
    expect(res.body).toMatchObject({ ...stored, type: 'exec', enabled: true });
    expect((await app.api.get('/api/jobs').set(auth).expect(200)).body.total).toBe(1);
  });
});
