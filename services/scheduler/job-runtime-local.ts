import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { BerthError, forbidden, validationError } from '../core/errors';
import { abortReason, type JobScope, type RunIo, type RunResult } from './job-runtime';
import { checkEnvironment, requireArgv } from './job-runtime-command';
import { JobOutput } from './job-runtime-output';
import type { JobSpec } from './job-spec';

/**
 * `local` jobs: a command on Berth's own host, so only the operator's (an INI file, never a label or a tenant's
 * API call). The command is spawned without a shell, in its own process group so a stop kills what it started too,
 * with a minimal environment: Berth's own (database URLs, secrets) must not leak into a job.
 */
export function checkLocal(scope: JobScope, job: JobSpec): string[] {
  if (!scope.operator) throw forbidden('local jobs run on the host and are only allowed in the operator\'s configuration');
  const argv = requireArgv(job.command);
  checkEnvironment(job.environment);
  if (job.user !== undefined) throw validationError('user is not supported for local jobs: they run as Berth\'s user', { field: 'user' });
  if (job.workingDir !== undefined) {
    const isDir = (() => {
      try {
        return statSync(job.workingDir).isDirectory();
      } catch {
        return false;
      }
    })();
    if (!isDir) throw validationError(`workingDir ${job.workingDir} is not a directory on the host`, { field: 'workingDir' });
  }
  return argv;
}

export async function runLocal(scope: JobScope, job: JobSpec, io: RunIo): Promise<RunResult> {
  const argv = checkLocal(scope, job);
  if (io.signal.aborted) throw abortReason(io.signal);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  for (const entry of job.environment) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const output = new JobOutput(io.log);
  const child = spawn(argv[0], argv.slice(1), {
    cwd: job.workingDir,
    env,
    // Its own process group (pid = pgid), so a kill of -pid reaches its children too.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (data: Buffer) => output.push(1, data));
  child.stderr.on('data', (data: Buffer) => output.push(2, data));
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  io.signal.addEventListener('abort', killGroup, { once: true });
  try {
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      // 'close', not 'exit': the output pipes are drained by then. After a kill, 'exit' is enough: a process that
      // left the group (setsid) may hold the pipes open, and the job is over.
      child.once('close', (code, signal) => resolve({ code, signal }));
      child.once('exit', (code, signal) => {
        if (io.signal.aborted) resolve({ code, signal });
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw new BerthError('EXECUTION_ERROR', 400, `Could not start ${argv[0]}: ${err.code ?? err.message}`);
    });
    if (io.signal.aborted) throw abortReason(io.signal);
    // A shell reports death by a signal as 128 + its number; do the same so the exit code says something.
    const exitCode = ended.code ?? 128 + (ended.signal ? (constants.signals[ended.signal] ?? 0) : 0);
    return output.finish(exitCode);
  } finally {
    io.signal.removeEventListener('abort', killGroup);
  }
}
