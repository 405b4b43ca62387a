import type { JobSpec } from './job-spec';

/**
 * Whose job it is. Every job belongs to a tenant; `operator` jobs (the INI file's, labels on containers Berth does
 * not manage) may name any container, mount host paths and run `local` commands. The Docker implementation is
 * services/docker/docker-job-runtime.ts.
 */
export interface JobScope {
  instanceId: string;
  operator: boolean;
  /** The execution a run belongs to: its containers carry it, so a crashed execution's leftovers can be found. */
  executionId?: string;
}

/** What one attempt gets from the task that runs it: the task's signal (stop, timeout, shutdown) and its log. */
export interface RunIo {
  signal: AbortSignal;
  log(line: string): void;
}

export interface RunResult {
  exitCode: number;
  /** stdout and stderr interleaved as they arrived, cut at JOB_OUTPUT_CAP_BYTES (the cut is said at the end). */
  output: string;
  truncated: boolean;
}

export interface JobRuntime {
  /** Validates a job against the engine before it is stored: 404 NOT_FOUND for a container that does not exist
   *  or belongs to another tenant (same message, no leak), 403 FORBIDDEN for `local` outside the operator's
   *  scope, 400 DOCKER_ERROR for an image the engine lacks and cannot pull, 400 VALIDATION_ERROR for a bad
   *  command/environment. */
  check(scope: JobScope, job: JobSpec): Promise<void>;
  /** Runs one attempt. Output is stdout+stderr, capped (say the cap in the output when cut). A non-zero exit is
   *  a result, not a throw. Throws BerthError DOCKER_ERROR when the engine refuses. On `io.signal` abort: kill
   *  (exec: the exec's process; run/service-run: the container, removed unless delete=false) and throw. */
  run(scope: JobScope, job: JobSpec, io: RunIo): Promise<RunResult>;
  /** Removes what an execution left (its containers) after its worker died; how many were removed. */
  cleanup(executionId: string): Promise<number>;
}

/**
 * Output kept per execution: enough for any cron job's report, small enough that a history of executions per job
 * stays cheap to store and send. A job that prints more is cut, and the cut is said in the output.
 */
export const JOB_OUTPUT_CAP_BYTES = 256 * 1024;

/** One line handed to the task log at most this long: a binary dump without newlines must not become one row. */
export const JOB_LOG_LINE_CAP = 4096;

/** What `run` throws after the kill when the signal aborted without an Error of its own as the reason. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new Error('The job was stopped');
}
