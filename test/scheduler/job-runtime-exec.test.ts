import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerJobRuntime } from '../../services/docker/docker-job-runtime';
import { DockerRuntime } from '../../services/docker/docker-runtime';
import { JOB_OUTPUT_CAP_BYTES } from '../../services/scheduler/job-runtime';
import { removeTenantObjects, testDocker } from '../helpers/engine';
import { eventually, job, newTenant, processesIn, rejection, removeNamed, tenantContainer, testIo } from '../helpers/scheduler-jobs';

jest.setTimeout(120_000);

/** Exec jobs on the real engine: output, exit codes, scope, and a stop that really kills the command. */
describe('exec jobs', () => {
  const docker = testDocker();
  const runtime = new DockerJobRuntime(docker, new DockerRuntime(docker));
  const tenant = { instanceId: newTenant(), operator: false };
  const other = { instanceId: newTenant(), operator: false };
  const operator = { instanceId: tenant.instanceId, operator: true };
  const appId = `app-${tenant.instanceId}`;
  const appName = `berth-app-${appId}`;
  const otherName = `berth-app-app-${other.instanceId}`;
  const stray = `sched-stray-${tenant.instanceId}`;
  let appContainer: string;
  const scratch = mkdtempSync(path.join(tmpdir(), 'berth-proc-'));

  beforeAll(async () => {
    appContainer = await tenantContainer(docker, tenant.instanceId, appName);
    await tenantContainer(docker, other.instanceId, otherName);
    await tenantContainer(docker, undefined, stray);
  });
  afterAll(async () => {
    await removeTenantObjects([tenant.instanceId, other.instanceId]);
    await removeNamed(docker, [stray]);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs a command in the tenant\'s app container, by name or app id, with env, user and directory', async () => {
    const io = testIo();
    const spec = job('exec', { container: appId, command: `sh -c 'echo out $FOO; echo err >&2; pwd; id -u'`, environment: ['FOO=bar baz'], user: '1000', workingDir: '/tmp' });
    await expect(runtime.check(tenant, spec)).resolves.toBeUndefined();
    const result = await runtime.run(tenant, spec, io);
    expect(result).toEqual({ exitCode: 0, output: expect.any(String), truncated: false });
    expect(result.output.split('\n').sort()).toEqual(['', '/tmp', '1000', 'err', 'out bar baz']);
    expect([...io.lines].sort()).toEqual(['/tmp', '1000', 'err', 'out bar baz']);

    const byName = await runtime.run(tenant, job('exec', { container: appName, command: 'echo hi' }), testIo());
    expect(byName.output).toBe('hi\n');
  });

  it('returns a non-zero exit as a result, and runs with a tty', async () => {
    expect(await runtime.run(tenant, job('exec', { container: appName, command: "sh -c 'echo failing; exit 3'" }), testIo())).toEqual({
      exitCode: 3,
      output: 'failing\n',
      truncated: false,
    });
    const missing = await runtime.run(tenant, job('exec', { container: appName, command: 'no-such-binary' }), testIo());
    expect(missing.exitCode).not.toBe(0);
    const tty = await runtime.run(tenant, job('exec', { container: appName, command: "sh -c 'test -t 1 && echo tty'", tty: true }), testIo());
    expect(tty).toMatchObject({ exitCode: 0, output: 'tty\r\n' });
  });

  it('caps the output and says so', async () => {
    const io = testIo();
    const result = await runtime.run(tenant, job('exec', { container: appName, command: "sh -c 'yes 0123456789abcdef | head -c 400000; echo done >&2'" }), io);
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(result.output.endsWith(`\n…[output truncated at ${JOB_OUTPUT_CAP_BYTES} bytes]`)).toBe(true);
    expect(Buffer.byteLength(result.output)).toBeLessThan(JOB_OUTPUT_CAP_BYTES + 100);
    expect(io.lines[io.lines.length - 1]).toBe(`…[log truncated at ${JOB_OUTPUT_CAP_BYTES} bytes]`);
  });

  it('answers another tenant\'s container exactly as a missing one, and lets the operator reach any', async () => {
    const missing = await rejection(runtime.check(tenant, job('exec', { container: 'no-such-container', command: 'true' })));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404, message: 'No container named no-such-container' });
    for (const container of [otherName, `app-${other.instanceId}`, stray]) {
      const err = await rejection(runtime.check(tenant, job('exec', { container, command: 'true' })));
      expect(err).toMatchObject({ code: 'NOT_FOUND', status: 404, message: `No container named ${container}` });
      await expect(runtime.run(tenant, job('exec', { container, command: 'true' }), testIo())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    expect(await rejection(runtime.check(tenant, job('exec', { container: '../images/json', command: 'true' })))).toMatchObject({ code: 'NOT_FOUND' });
    expect((await runtime.run(operator, job('exec', { container: otherName, command: 'echo op' }), testIo())).output).toBe('op\n');
    expect((await runtime.run(operator, job('exec', { container: stray, command: 'echo op' }), testIo())).output).toBe('op\n');
  });

  it('refuses a bad command or environment before the engine sees it', async () => {
    expect(await rejection(runtime.check(tenant, job('exec', { container: appName, command: "echo 'open" })))).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect(await rejection(runtime.check(tenant, job('exec', { container: appName })))).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'command' } });
    expect(await rejection(runtime.check(tenant, job('exec', { container: appName, command: 'true', environment: ['NOPE'] })))).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'environment[0]' },
    });
    expect(await rejection(runtime.check(tenant, job('exec', { command: 'true' })))).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'container' } });
  });

  /** Starts `command`, waits until `marker` shows in the container's processes, stops it and waits until it is gone. */
  async function stopAndExpectGone(rt: DockerJobRuntime, scope: { instanceId: string; operator: boolean }, command: string, marker: string) {
    const io = testIo();
    const outcome = rt.run(scope, job('exec', { container: appName, command }), io).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await eventually(() => processesIn(docker, appContainer), (ps) => ps.includes(marker));
    io.controller.abort(new Error('stopped by the test'));
    return { outcome, gone: () => eventually(() => processesIn(docker, appContainer), (ps) => !ps.includes(marker)) };
  }

  it('kills the command and what it started when stopped', async () => {
    const stop = await stopAndExpectGone(runtime, tenant, "sh -c 'sleep 3011; echo never'", 'sleep 3011');
    expect(await stop.outcome).toBe('stopped by the test');
    await stop.gone();
    expect(await processesIn(docker, appContainer)).not.toContain('echo never');
  });

  it('kills from inside the container when the host refuses the signal', async () => {
    const refusing = new DockerJobRuntime(docker, new DockerRuntime(docker), {
      kill: {
        signalHost: () => {
          throw Object.assign(new Error('not permitted'), { code: 'EPERM' });
        },
      },
    });
    const stop = await stopAndExpectGone(refusing, tenant, 'sleep 3012', 'sleep 3012');
    expect(await stop.outcome).toBe('stopped by the test');
    await stop.gone();
  });

  it('with no way to see the process, kills the container for the operator and refuses to for a tenant', async () => {
    const blind = new DockerJobRuntime(docker, new DockerRuntime(docker), { kill: { procRoot: scratch } });
    const tenantStop = await stopAndExpectGone(blind, tenant, 'sleep 3013', 'sleep 3013');
    expect(await tenantStop.outcome).toMatch(/could not be killed/);
    // The tenant's app container stays up; the leftover command is cleaned up here.
    expect((await docker.getContainer(appContainer).inspect()).State.Running).toBe(true);
    await runtime.run(operator, job('exec', { container: appName, command: 'pkill -9 -f "sleep 3013"' }), testIo());

    const operatorStop = await stopAndExpectGone(blind, operator, 'sleep 3014', 'sleep 3014');
    expect(await operatorStop.outcome).toBe('stopped by the test');
    await eventually(() => docker.getContainer(appContainer).inspect(), (info) => !info.State.Running);
    await docker.getContainer(appContainer).start();
  });
});
