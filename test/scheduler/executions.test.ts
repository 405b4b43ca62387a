import { randomBytes } from 'node:crypto';
import { activate, bearer, startTestApp, TASK_ENV, until, type TestApp } from '../helpers/app';
import { testDocker } from '../helpers/engine';
import { BUSYBOX, processesIn, tenantContainer } from '../helpers/scheduler-jobs';

jest.setTimeout(120_000);

type ExecutionBody = { executionId: string; status: string; exitCode: number | null; output: string | null; error: string | null; duration: number };

/**
 * Executions end to end: the API, the task engine and the real Docker engine. A run job's output and exit code
 * reach the execution, retries follow max-retries, a stop and a max-runtime really kill, no-overlap refuses a
 * second run, and an exec job runs in the tenant's own container.
 */
describe('job executions on the real engine', () => {
  let app: TestApp;
  let token: string;
  let instanceId: string;
  const docker = testDocker();
  const tag = randomBytes(3).toString('hex');

  beforeAll(async () => {
    app = await startTestApp({ env: TASK_ENV, workers: true });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(() => app.close());

  const put = (name: string, body: Record<string, unknown>) => app.api.put(`/api/job/${name}`).set(bearer(token)).send({ schedule: '@yearly', ...body }).expect(201);
  const run = async (name: string) => (await app.api.post(`/api/job/${name}/run`).set(bearer(token)).expect(202)).body.executionId as string;
  const execution = async (id: string) => (await app.api.get(`/api/execution/${id}`).set(bearer(token)).expect(200)).body as ExecutionBody;
  const ended = (id: string) => until(() => execution(id), (e) => !['queued', 'running'].includes(e.status));
  const jobContainers = (id: string) => docker.listContainers({ all: true, filters: { label: [`io.berth.execution=${id}`] } });

  it('runs a container job: output, exit code, duration, logs, and the container is removed', async () => {
    await put('hello', { type: 'run', image: BUSYBOX, command: "sh -c 'echo hello from $WHO; echo oops >&2'", environment: ['WHO=berth'] });
    const id = await run('hello');
    const done = await ended(id);
    expect(done).toMatchObject({ status: 'success', exitCode: 0, error: null });
    expect(done.output).toContain('hello from berth');
    expect(done.output).toContain('oops');
    expect(done.duration).toBeGreaterThan(0);
    const logs = (await app.api.get(`/api/execution/${id}/logs`).set(bearer(token)).expect(200)).body.logs as Array<{ message: string }>;
    expect(logs.map((l) => l.message).join('\n')).toContain('hello from berth');
    expect(await jobContainers(id)).toEqual([]);
    const job = (await app.api.get('/api/job/hello').set(bearer(token)).expect(200)).body;
    expect(job).toMatchObject({ status: 'success', history: [expect.objectContaining({ executionId: id, status: 'success' })], metrics: { totalRuns: 1, successfulRuns: 1 } });
  });

  it('retries a failing command max-retries times, then fails with its exit code', async () => {
    await put('flaky', { type: 'run', image: BUSYBOX, command: "sh -c 'exit 3'", maxRetries: 1 });
    const done = await ended(await run('flaky'));
    expect(done).toMatchObject({ status: 'failed', exitCode: 3, error: 'The command exited with code 3' });
    const stored = await app.berth.store.executions.getById(done.executionId);
    expect(stored!.attempts).toBe(2);
  });

  it('stops a running execution: the container is killed and removed', async () => {
    await put('sleeper', { type: 'run', image: BUSYBOX, command: 'sleep 300' });
    const id = await run('sleeper');
    await until(() => jobContainers(id), (list) => list.some((c) => c.State === 'running'));
    await app.api.post(`/api/execution/${id}/stop`).set(bearer(token)).expect(200);
    expect((await ended(id)).status).toBe('stopped');
    await until(() => jobContainers(id), (list) => list.length === 0);
  });

  it('kills an execution that outlives its max-runtime', async () => {
    await put('slow', { type: 'run', image: BUSYBOX, command: 'sleep 300', maxRuntime: '2s' });
    const id = await run('slow');
    expect(await ended(id)).toMatchObject({ status: 'timeout' });
    await until(() => jobContainers(id), (list) => list.length === 0);
  });

  it('refuses a second run of a no-overlap job while one runs', async () => {
    await put('single', { type: 'run', image: BUSYBOX, command: 'sleep 300', noOverlap: true });
    const id = await run('single');
    await until(() => execution(id), (e) => e.status === 'running');
    const second = await app.api.post('/api/job/single/run').set(bearer(token)).expect(409);
    expect(second.body.error.message).toMatch(/still running/);
    await app.api.post(`/api/execution/${id}/stop`).set(bearer(token)).expect(200);
    await ended(id);
  });

  it("execs in the tenant's own container and kills the command on stop", async () => {
    const name = `sched-exec-${tag}`;
    const containerId = await tenantContainer(docker, instanceId, name);
    try {
      await put('inside', { type: 'exec', container: name, command: 'cat /etc/hostname' });
      expect(await ended(await run('inside'))).toMatchObject({ status: 'success', exitCode: 0 });

      await put('long-exec', { type: 'exec', container: name, command: 'sleep 4242' });
      const id = await run('long-exec');
      await until(() => processesIn(docker, containerId), (ps) => ps.includes('sleep 4242'));
      await app.api.post(`/api/execution/${id}/stop`).set(bearer(token)).expect(200);
      expect((await ended(id)).status).toBe('stopped');
      await until(() => processesIn(docker, containerId), (ps) => !ps.includes('sleep 4242'));
    } finally {
      await docker.getContainer(containerId).remove({ force: true });
    }
  });

  it("refuses another tenant's container as if it did not exist", async () => {
    const name = `sched-other-${tag}`;
    const containerId = await tenantContainer(docker, 'someone-else', name);
    try {
      const res = await app.api.put('/api/job/peek').set(bearer(token)).send({ schedule: '@hourly', type: 'exec', container: name, command: 'id' }).expect(404);
      expect(res.body.error.message).toBe((await app.api.put('/api/job/peek').set(bearer(token)).send({ schedule: '@hourly', type: 'exec', container: `${name}-none`, command: 'id' }).expect(404)).body.error.message.replace(`${name}-none`, name));
    } finally {
      await docker.getContainer(containerId).remove({ force: true });
    }
  });
});
