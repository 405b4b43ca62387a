import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock';
import { BerthError, conflict, notFound } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Actor } from '../eventlog/eventlog-service';
import type { NotificationService } from '../notifications/notification-service';
import type { HandlerContext } from '../tasks/task-handler';
import type { Task } from '../tasks/task-repo';
import type { TaskService } from '../tasks/task-service';
import type { Execution, ExecutionRepo, ExecutionStatus, ExecutionTrigger } from './execution-repo';
import { maxRuntimeMs, retryDelayMs } from './job-input';
import type { JobRepo, StoredJob } from './job-repo';
import type { JobRuntime } from './job-runtime';
import { jobNotFound } from './job-service';
import { OFELIA_JOB_DEFAULTS } from './job-spec';
import type { SchedulerEvents } from './scheduler-events';
import { RUN_JOB_TASK_TYPE, jobObjectKey, type RunJobArgs } from './scheduler-tasks';

const executionNotFound = (id: string) => notFound(`Execution '${id}' not found`);

/** How a task's end reads as an execution's status. */
function statusOf(task: Task): ExecutionStatus {
  if (task.state === 'success') return 'success';
  switch (task.error?.code) {
    case 'stopped':
      return 'stopped';
    case 'timeout':
      return 'timeout';
    case 'crashed':
      return 'crashed';
    default:
      return 'failed';
  }
}

/**
 * Executions: one run of a job, carried out by a `scheduler.run` task whose args point at the execution row. The
 * row is written first (its id is the seed's `executionId`), so a fire is on record even when its task cannot be
 * created; the task's end (however it ends: exit, failure, stop, timeout, a crashed worker found by the reaper)
 * settles the row through the catalogue's hook.
 */
export class JobExecutions {
  constructor(
    private readonly deps: {
      jobs: JobRepo;
      executions: ExecutionRepo;
      tasks: TaskService;
      runtime: JobRuntime;
      events: SchedulerEvents;
      notifications: Pick<NotificationService, 'notifyAdmins'>;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** `POST /api/job/{name}/run`: runs the job now (enabled or not). 409 while a no-overlap job still runs. */
  async runNow(actor: Actor, name: string): Promise<Execution> {
    const job = await this.deps.jobs.get(actor.instanceId, name);
    if (!job) throw jobNotFound(name);
    const execution = await this.start(job, 'manual', null, actor.userId ?? undefined);
    if (!execution) throw conflict(`Job '${name}' is already running`);
    if (execution.status === 'skipped') throw conflict(`Job '${name}' is still running and does not overlap`, { job: name });
    return execution;
  }

  /**
   * Records the execution, then creates its task. Undefined when the fire already has an execution (another
   * process took it).
   */
  async start(job: StoredJob, trigger: ExecutionTrigger, scheduledFor: number | null, createdBy?: string): Promise<Execution | undefined> {
    const execution = newExecution(job, trigger, scheduledFor, this.now());
    if (!(await this.deps.executions.insert(execution))) return undefined;
    return this.dispatch(execution, job, createdBy);
  }

  /**
   * Creates the task of a recorded execution. A no-overlap job whose previous execution is unfinished gets its
   * execution `skipped`, as Ofelia skips; a queue that is away (Redis) fails a scheduled fire and answers a person
   * with the 503.
   */
  async dispatch(execution: Execution, job: StoredJob, createdBy?: string): Promise<Execution> {
    try {
      const task = await this.deps.tasks.create(RUN_JOB_TASK_TYPE, {
        instanceId: job.instanceId,
        args: { executionId: execution.id },
        objectKey: job.spec.noOverlap ? jobObjectKey(job.id) : undefined,
        createdBy,
        timeoutMs: maxRuntimeMs(job.spec),
      });
      await this.deps.executions.update(execution.id, { taskId: task.id });
      return { ...execution, taskId: task.id };
    } catch (err) {
      const overlapped = err instanceof BerthError && err.status === 409;
      const status: ExecutionStatus = overlapped ? 'skipped' : 'failed';
      const message = overlapped ? 'Skipped: the previous execution is still running (no-overlap)' : `Not started: ${(err as Error).message}`;
      await this.deps.executions.update(execution.id, { status, error: message, endedAt: this.now() });
      if (!overlapped && execution.trigger === 'manual') throw err;
      if (!overlapped) this.deps.logger.warn({ job: job.name, instanceId: job.instanceId, err: (err as Error).message }, 'scheduled execution not started');
      return { ...execution, status, error: message };
    }
  }

  /**
   * Executions recorded but never handed to a task (the process that took the fire died between the two writes),
   * older than `before`: each is taken by one process (a conditional update) and dispatched now.
   */
  async redispatch(before: number): Promise<number> {
    let count = 0;
    for (const stale of await this.deps.executions.undispatched(before)) {
      if (!(await this.deps.executions.retake(stale.id, stale.createdAt, this.now()))) continue;
      const job = await this.deps.jobs.getById(stale.jobId);
      if (job) await this.dispatch(stale, job);
      count++;
    }
    return count;
  }

  /**
   * The task's run function: one execution, with Ofelia's retries (`max-retries`, exponential backoff). A
   * non-zero exit fails the task (and so the execution) after the last attempt; a stop, timeout or shutdown
   * aborts the signal, and the runtime kills what it started.
   */
  async run(ctx: HandlerContext<RunJobArgs>): Promise<{ exitCode: number }> {
    const execution = await this.deps.executions.getById(ctx.args.executionId);
    if (!execution) throw new Error(`Execution ${ctx.args.executionId} is gone`);
    const job = await this.deps.jobs.getById(execution.jobId);
    if (!job) throw new Error(`Job '${execution.jobName}' was removed before it ran`);
    await this.deps.executions.update(execution.id, { status: 'running', startedAt: this.now() });
    this.deps.events.publish(job.instanceId, 'job.started', { job: job.name, executionId: execution.id }, this.deps.clock());
    const retries = job.spec.maxRetries ?? OFELIA_JOB_DEFAULTS.maxRetries;
    for (let attempt = 1; ; attempt++) {
      ctx.log(`Running ${job.type} job '${job.name}' (attempt ${attempt} of ${retries + 1})`);
      const scope = { instanceId: job.instanceId, operator: job.operator, executionId: execution.id };
      const result = await this.deps.runtime.run(scope, job.spec, { signal: ctx.signal, log: ctx.log });
      await this.deps.executions.update(execution.id, { exitCode: result.exitCode, output: result.output, attempts: attempt });
      if (result.exitCode === 0) return { exitCode: 0 };
      if (attempt > retries) throw new Error(`The command exited with code ${result.exitCode}`);
      const delay = retryDelayMs(job.spec, attempt);
      ctx.log(`Exit code ${result.exitCode}; retrying in ${delay} ms`);
      await abortableSleep(delay, ctx.signal);
    }
  }

  /** The settle hook: the execution takes its task's end, the job its last run, and the history its limit. */
  async settled({ task, args }: { task: Task; args: RunJobArgs }): Promise<void> {
    const execution = await this.deps.executions.getById(args.executionId);
    if (!execution) return;
    const status = statusOf(task);
    const error = status === 'success' ? null : (task.error?.message ?? null);
    await this.deps.executions.update(execution.id, { status, error, endedAt: task.endedAt ?? this.now(), startedAt: execution.startedAt ?? task.startedAt ?? undefined });
    const job = await this.deps.jobs.getById(execution.jobId);
    // A worker that died took its kill with it: what the execution started is removed here (Ofelia #655).
    if (status === 'crashed' && job?.spec.delete !== false) await this.cleanup(execution.id);
    if (!job) return;
    await this.deps.jobs.recordRun(job.id, execution.startedAt ?? task.startedAt ?? execution.createdAt, status);
    await this.deps.executions.trim(job.id, job.spec.historyLimit ?? OFELIA_JOB_DEFAULTS.historyLimit);
    const payload = { job: job.name, executionId: execution.id, status, exitCode: execution.exitCode };
    this.deps.events.publish(job.instanceId, status === 'success' ? 'job.completed' : 'job.failed', payload, this.deps.clock());
    if (status !== 'success' && status !== 'stopped') await this.notifyFailure(job, status, error);
  }

  async get(instanceId: string, id: string): Promise<Execution> {
    const execution = await this.deps.executions.get(instanceId, id);
    if (!execution) throw executionNotFound(id);
    return execution;
  }

  /** `POST /api/execution/{id}/stop`: stops its task (409 when it has ended). */
  async stop(actor: Actor, id: string): Promise<Execution> {
    const execution = await this.get(actor.instanceId, id);
    if (!execution.taskId || !['queued', 'running'].includes(execution.status)) {
      throw conflict(`Execution '${id}' is not running (${execution.status})`, { executionId: id });
    }
    await this.deps.tasks.stop(actor.instanceId, execution.taskId);
    return execution;
  }

  /** The execution's log lines, from its task's log. */
  async logs(instanceId: string, id: string): Promise<Array<{ at: number; line: string }>> {
    const execution = await this.get(instanceId, id);
    if (!execution.taskId) return execution.error ? [{ at: execution.createdAt, line: execution.error }] : [];
    return this.deps.tasks.logs(instanceId, execution.taskId);
  }

  private async cleanup(executionId: string): Promise<void> {
    try {
      const removed = await this.deps.runtime.cleanup(executionId);
      if (removed) this.deps.logger.info({ executionId, removed }, 'scheduler: removed what a crashed execution left');
    } catch (err) {
      this.deps.logger.warn({ executionId, err: (err as Error).message }, 'scheduler: cleaning up a crashed execution failed');
    }
  }

  private async notifyFailure(job: StoredJob, status: ExecutionStatus, error: string | null): Promise<void> {
    try {
      await this.deps.notifications.notifyAdmins(job.instanceId, {
        title: `Scheduled job '${job.name}' ${status === 'failed' ? 'failed' : `ended: ${status}`}`,
        message: error ?? `The job ended ${status}.`,
        alertKey: `scheduler.job:${job.name}`,
      });
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, job: job.name }, 'scheduler: failure notification not sent');
    }
  }

  private now(): number {
    return this.deps.clock().getTime();
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** An execution row for a fire of the job: `queued` until its task exists, or `missed` with the reason. */
export function newExecution(job: StoredJob, trigger: ExecutionTrigger, scheduledFor: number | null, now: number, missed?: string): Execution {
  return {
    id: randomUUID(),
    jobId: job.id,
    instanceId: job.instanceId,
    jobName: job.name,
    trigger,
    scheduledFor,
    taskId: null,
    status: missed ? 'missed' : 'queued',
    exitCode: null,
    output: null,
    error: missed ?? null,
    attempts: 0,
    createdAt: now,
    startedAt: null,
    endedAt: missed ? now : null,
  };
}
