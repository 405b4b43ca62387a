import { readdirSync, readFileSync } from 'node:fs';
import { DockerJobRuntime } from '../../services/docker/docker-job-runtime';
import { DockerRuntime } from '../../services/docker/docker-runtime';
import { testDocker } from '../helpers/engine';
import { eventually, job, newTenant, rejection, testIo } from '../helpers/scheduler-jobs';

jest.setTimeout(60_000);

/** The command lines of this machine's processes that start with `marker`. */
function hostProcesses(marker: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (args.startsWith(marker)) found.push(args);
    } catch {
      // Ended while we looked.
    }
  }
  return found;
}

/** local jobs: the operator's host commands, without a shell, a minimal environment, killed as a group. */
describe('local jobs', () => {
  const docker = testDocker();
  const runtime = new DockerJobRuntime(docker, new DockerRuntime(docker));
  const operator = { instanceId: newTenant(), operator: true };

  it('runs the argv in the working directory with only PATH, HOME and the job\'s environment', async () => {
    const spec = job('local', { command: `sh -c 'echo "$GREETING"; pwd; env | cut -d= -f1 | sort | tr "\\n" " "'`, environment: ['GREETING=hello there'], workingDir: '/tmp' });
    await runtime.check(operator, spec);
    const io = testIo();
    const result = await runtime.run(operator, spec, io);
    expect(result.exitCode).toBe(0);
    const [greeting, dir, names] = result.output.split('\n');
    expect([greeting, dir]).toEqual(['hello there', '/tmp']);
    // sh adds PWD (and SHLVL); nothing of Berth's own environment gets through.
    expect(names.split(' ').filter(Boolean)).not.toContain('DOCKER_HOST');
    expect(names).toContain('GREETING');
    expect(io.lines.slice(0, 2)).toEqual(['hello there', '/tmp']);
    expect(await runtime.run(operator, job('local', { command: "sh -c 'exit 5'" }), testIo())).toMatchObject({ exitCode: 5 });
  });

  it('refuses what cannot run', async () => {
    expect(await rejection(runtime.run(operator, job('local', { command: 'no-such-program-here' }), testIo()))).toMatchObject({
      code: 'EXECUTION_ERROR',
      message: 'Could not start no-such-program-here: ENOENT',
    });
    expect(await rejection(runtime.check(operator, job('local', { command: 'true', workingDir: '/no/such/dir' })))).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'workingDir' },
    });
    expect(await rejection(runtime.check(operator, job('local', { command: 'true', environment: ['1=x'] })))).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await rejection(runtime.check(operator, job('local', {})))).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'command' } });
  });

  it('kills the process group on abort, children included', async () => {
    const io = testIo();
    const outcome = runtime.run(operator, job('local', { command: "sh -c 'sleep 3041 & sleep 3042; echo never'" }), io).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await eventually(async () => hostProcesses('sleep 304'), (found) => found.length === 2);
    io.controller.abort(new Error('stopped by the test'));
    expect(await outcome).toBe('stopped by the test');
    await eventually(async () => hostProcesses('sleep 304'), (found) => found.length === 0);
    expect(io.lines).not.toContain('never');
  });
});
