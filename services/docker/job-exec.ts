import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../core/errors';
import { abortReason, type JobScope, type RunIo, type RunResult } from '../scheduler/job-runtime';
import { checkContainerWorkingDir, checkEnvironment, checkUser, requireArgv } from '../scheduler/job-runtime-command';
import type { JobSpec } from '../scheduler/job-spec';
import { killExec, type ExecKillOptions } from './exec-kill';
import { engine } from './job-errors';
import type { JobTargets } from './job-targets';
import { watchStream } from './job-stream';

export interface ExecDeps {
  docker: Docker;
  targets: JobTargets;
  kill: ExecKillOptions;
}

/** An exec job's argv and container, checked in the scope (404 for a container that is not the scope's). */
export async function checkExec(deps: Pick<ExecDeps, 'targets'>, scope: JobScope, job: JobSpec) {
  const argv = requireArgv(job.command);
  checkEnvironment(job.environment);
  checkUser(job.user);
  checkContainerWorkingDir(job.workingDir);
  const target = await deps.targets.container(scope, job.container);
  return { argv, target };
}

/** `docker exec` of the job's command in its running container; on abort the command is killed (exec-kill.ts). */
export async function runExec(deps: ExecDeps, scope: JobScope, job: JobSpec, io: RunIo): Promise<RunResult> {
  const { argv, target } = await checkExec(deps, scope, job);
  if (!target.State.Running) throw new BerthError('DOCKER_ERROR', 400, `The container ${job.container} is not running`);
  if (io.signal.aborted) throw abortReason(io.signal);
  const tty = Boolean(job.tty);
  const container = deps.docker.getContainer(target.Id);
  const exec = await engine(`Could not run the command in ${job.container}`, () =>
    container.exec({
      Cmd: argv,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty,
      ...(job.user ? { User: job.user } : {}),
      ...(job.environment.length ? { Env: job.environment } : {}),
      ...(job.workingDir ? { WorkingDir: job.workingDir } : {}),
    }),
  );
  const stream = (await engine(`Could not start the command in ${job.container}`, () => exec.start({ hijack: true, stdin: false, Tty: tty }))) as Duplex;
  const watched = watchStream(stream, tty, io);
  try {
    await Promise.race([watched.ended, watched.aborted]);
    if (io.signal.aborted) {
      await killExec(deps.docker, exec, { operator: scope.operator, log: io.log, ...deps.kill });
      throw abortReason(io.signal);
    }
    return watched.output.finish(await exitCodeOf(exec));
  } finally {
    watched.release();
  }
}

/** The stream ends a little before the engine records the exit code: ask until it has one. */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const info = await engine('Could not read the command\'s exit code', () => exec.inspect());
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 20 * (i + 1)));
  }
  throw new BerthError('DOCKER_ERROR', 500, 'The engine did not report the command\'s exit code');
}
