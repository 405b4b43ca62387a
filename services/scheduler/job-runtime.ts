import type { JobSpec } from './job-spec';

export interface JobScope {
  instanceId: string;
  operator: boolean;
}
export interface RunIo {
  signal: AbortSignal;
  log(line: string): void;
}
export interface RunResult {
  exitCode: number;
  output: string;
  truncated: boolean;
}
export interface JobRuntime {
  check(scope: JobScope, job: JobSpec): Promise<void>;
  run(scope: JobScope, job: JobSpec, io: RunIo): Promise<RunResult>;
}
