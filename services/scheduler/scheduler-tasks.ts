import { defineTaskType } from '../tasks/task-type';

export const RUN_JOB_TASK = 'scheduler.run';

/** The execution row holds everything else (job, trigger, fire time): the task only points at it. */
export interface RunJobArgs {
  executionId: string;
}

/**
 * One execution of a scheduled job. Not idempotent: a command that ran halfway may not be safe to run again, so
 * a crashed execution ends `crashed` and the next fire runs instead (Ofelia's behaviour, made visible). A job with
 * `no-overlap` gives its executions the object `scheduler-job:<id>`, which `refuse` turns into a unique key, so a
 * second execution is refused across every process while one is unfinished. The time limit is the job's
 * `max-runtime` (Ofelia's default, 24 h, is the ceiling).
 */
export const RUN_JOB_TASK_TYPE = defineTaskType<RunJobArgs>({
  name: RUN_JOB_TASK,
  args: { type: 'object', properties: { executionId: { type: 'string', minLength: 1 } }, required: ['executionId'] },
  timeoutMs: 24 * 60 * 60_000,
  // Ofelia's default cap of concurrent jobs; BERTH_TASK_CONCURRENCY=scheduler.run=N changes it per process, and
  // BERTH_SCHEDULER_MAX_CONCURRENT caps it across processes (BullMQ's global concurrency).
  concurrency: 10,
  idempotent: false,
  onConflict: 'refuse',
});

export const SCHEDULER_TASK_TYPES = [RUN_JOB_TASK_TYPE];

export const jobObjectKey = (jobId: string) => `scheduler-job:${jobId}`;
