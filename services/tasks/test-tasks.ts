import { defineTaskType, type TaskTypeSpec } from './task-type';

/**
 * Task types for tests and benchmarks, in the catalogue only when BERTH_TEST_TASKS=1 (run functions in
 * workers/test-handlers.ts).
 *   _noop                         succeeds at once
 *   _sleep    {ms, ignoreSignal}  waits, honouring the signal unless told not to (then only a timeout ends it)
 *   _fail     {message}           throws
 *   _crash                        kills its own process with SIGKILL mid-task
 *   _progress {steps, stepMs}     reports progress and logs a line per step
 *   _exclusive {ms}               like _sleep, but refuses (409) a second task on the same object
 */
const base = { timeoutMs: 10 * 60_000, concurrency: 8, onConflict: 'queue' } as const;

function testType<A>(spec: Omit<TaskTypeSpec<A>, keyof typeof base> & Partial<Pick<TaskTypeSpec<A>, keyof typeof base>>) {
  return defineTaskType<A>({ ...base, ...spec });
}

/** No args (anything given is ignored). */
export type NoArgs = Record<string, unknown>;
const noArgs = { type: 'object', required: [] } as const;

export const NOOP_TASK_TYPE = testType<NoArgs>({ name: '_noop', args: noArgs, idempotent: true, concurrency: 32 });

export const SLEEP_TASK_TYPE = testType<{ ms?: number; ignoreSignal?: boolean }>({
  name: '_sleep',
  args: {
    type: 'object',
    properties: { ms: { type: 'number', nullable: true, minimum: 0 }, ignoreSignal: { type: 'boolean', nullable: true } },
    required: [],
  },
  idempotent: true,
});

export const EXCLUSIVE_TASK_TYPE = testType<{ ms?: number }>({
  name: '_exclusive',
  args: { type: 'object', properties: { ms: { type: 'number', nullable: true, minimum: 0 } }, required: [] },
  idempotent: true,
  onConflict: 'refuse',
});

export const FAIL_TASK_TYPE = testType<{ message?: string }>({
  name: '_fail',
  args: { type: 'object', properties: { message: { type: 'string', nullable: true } }, required: [] },
  idempotent: false,
});

export const CRASH_TASK_TYPE = testType<NoArgs>({ name: '_crash', args: noArgs, idempotent: false });

export const PROGRESS_TASK_TYPE = testType<{ steps?: number; stepMs?: number }>({
  name: '_progress',
  args: {
    type: 'object',
    properties: { steps: { type: 'integer', nullable: true, minimum: 0 }, stepMs: { type: 'number', nullable: true, minimum: 0 } },
    required: [],
  },
  idempotent: false,
});

export const TEST_TASK_TYPES = [NOOP_TASK_TYPE, SLEEP_TASK_TYPE, EXCLUSIVE_TASK_TYPE, FAIL_TASK_TYPE, CRASH_TASK_TYPE, PROGRESS_TASK_TYPE];
