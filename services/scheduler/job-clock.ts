import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { Transactor } from '../db/transactor';
import type { ExecutionRepo } from './execution-repo';
import { newExecution, type JobExecutions } from './job-executions';
import type { JobRepo, StoredJob } from './job-repo';
import type { JobTimes } from './job-times';
import type { SchedulerControl } from './scheduler-control';

export interface ClockOptions {
  /** A fire found later than this (every process was down) is recorded as missed instead of run. */
  graceMs: number;
  /** Fires taken per tick at most; the rest wait for the next tick. */
  batch: number;
  /**
   * Fires one process takes at once (each still its own transaction): a fire is mostly waiting on database and
   * Redis round trips, so taken one after the other a tick of hundreds fell seconds behind.
   */
  parallel: number;
}

export const DEFAULT_CLOCK_OPTIONS: ClockOptions = { graceMs: 60_000, batch: 500, parallel: 4 };

/**
 * Fires due jobs. Every process with workers ticks; a fire is taken by moving the job's `next_run` from the due
 * time to the next one with a conditional update, so exactly one process takes it, and the execution's unique
 * (job, fire time) is a second guard. The missed-run policy: a fire at most `graceMs` late runs once (however
 * many of its slots passed, as Ofelia's cron does not catch up); one later than that, because every process was
 * down, is recorded as one `missed` execution and the job moves on to its next fire after now.
 */
export class JobClock {
  constructor(
    private readonly deps: {
      jobs: JobRepo;
      /** Taking a fire and recording its execution are one write: a process killed between them loses nothing. */
      transactor: Transactor<{ jobs: JobRepo; executions: ExecutionRepo }>;
      times: JobTimes;
      executions: JobExecutions;
      control: SchedulerControl;
      clock: Clock;
      logger: Logger;
      /** Whether the task queue (Redis) takes tasks now; while it does not, fires stay due rather than fail. */
      queueReady?: () => boolean;
      options?: ClockOptions;
    },
  ) {}

  private get options(): ClockOptions {
    return this.deps.options ?? DEFAULT_CLOCK_OPTIONS;
  }

  /** Takes and starts what is due; returns how many fires this process took. */
  async tick(): Promise<number> {
    // A fire taken now could not get its task: leave it due for a tick when Redis is back (within the grace window
    // it still runs; past it, it is recorded as missed, which is what happened).
    if (this.deps.queueReady && !this.deps.queueReady()) return 0;
    const now = this.deps.clock();
    // Fires recorded by a process that died before it created their tasks.
    await this.deps.executions.redispatch(now.getTime() - REDISPATCH_AFTER_MS);
    // Every process reads the same due jobs: each goes through them in its own random order, so two processes
    // ticking together mostly try different jobs instead of queueing on the same row one after the other.
    const due = shuffle(await this.deps.jobs.due(now.getTime(), this.options.batch));
    const running = new Map<string, Promise<boolean>>();
    let taken = 0;
    let next = 0;
    const lane = async () => {
      while (next < due.length) {
        const job = due[next++];
        try {
          if (await this.fire(job, now, running)) taken++;
        } catch (err) {
          this.deps.logger.warn({ job: job.name, instanceId: job.instanceId, err: (err as Error).message }, 'scheduler: a fire failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.options.parallel, due.length)) }, lane));
    return taken;
  }

  /** `run-on-startup` jobs, once per start of the box: processes starting within the same minute share the run. */
  async startup(): Promise<void> {
    const minute = Math.floor(this.deps.clock().getTime() / 60_000);
    for (const job of await this.deps.jobs.due(Number.MAX_SAFE_INTEGER, 100_000)) {
      if (!job.spec.runOnStartup || !(await this.deps.control.isRunning(job.instanceId))) continue;
      // Negative fire times name start-ups, never a clock fire: the unique (job, fire) lets one process run it.
      await this.deps.executions.start(job, 'startup', -minute).catch((err) =>
        this.deps.logger.warn({ job: job.name, err: (err as Error).message }, 'scheduler: run-on-startup failed'),
      );
    }
  }

  private async fire(job: StoredJob, now: Date, running: Map<string, Promise<boolean>>): Promise<boolean> {
    const dueAt = job.nextRun as number;
    const next = await this.deps.times.nextRun(job, now);
    if (!running.has(job.instanceId)) running.set(job.instanceId, this.deps.control.isRunning(job.instanceId));
    const tenantRunning = await running.get(job.instanceId);
    const late = now.getTime() - dueAt;
    const missed =
      late > this.options.graceMs
        ? `Missed: due at ${new Date(dueAt).toISOString()}, found ${Math.round(late / 1000)} s late (no Berth process was running); runs later than ${this.options.graceMs / 1000} s are recorded, not replayed`
        : undefined;
    const execution = await this.deps.transactor.transaction(async ({ jobs, executions }) => {
      if (!(await jobs.claimFire(job.id, dueAt, next))) return null;
      // A stopped scheduler takes its fires without running them.
      if (!tenantRunning) return undefined;
      const recorded = newExecution(job, 'schedule', dueAt, now.getTime(), missed);
      return (await executions.insert(recorded)) ? recorded : undefined;
    });
    if (execution === null) return false;
    if (execution?.status === 'queued') await this.deps.executions.dispatch(execution, job);
    if (missed) this.deps.logger.info({ job: job.name, instanceId: job.instanceId, dueAt }, 'scheduler: fire missed while down');
    return true;
  }
}

/** Fisher–Yates, in place. */
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** How long a recorded fire may wait for its task before another process dispatches it. */
const REDISPATCH_AFTER_MS = 30_000;
