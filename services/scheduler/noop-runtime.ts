import type { JobRuntime } from './job-runtime';

/**
 * A runtime that runs nothing and succeeds at once: for measuring the scheduler's own overhead (bench/scheduler.ts)
 * and for tests of the clock across processes. Chosen only with BERTH_TEST_TASKS=1 and BERTH_TEST_JOB_RUNTIME=noop.
 */
export const NOOP_JOB_RUNTIME: JobRuntime = {
  check: async () => undefined,
  run: async () => ({ exitCode: 0, output: '', truncated: false }),
  cleanup: async () => 0,
};
