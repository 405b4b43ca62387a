import type { Logger } from '../services/core/logger';
import type { ConfigFile } from '../services/scheduler/config-file';
import type { JobClock } from '../services/scheduler/job-clock';
import type { JobExecutions } from '../services/scheduler/job-executions';
import { RUN_JOB_TASK_TYPE } from '../services/scheduler/scheduler-tasks';
import { handle } from '../services/tasks/task-handler';

/** The run function of `scheduler.run` (type in services/scheduler/scheduler-tasks.ts). */
export function schedulerTaskHandlers(executions: JobExecutions) {
  return [handle(RUN_JOB_TASK_TYPE, (ctx) => executions.run(ctx))];
}

/**
 * A loop that calls `work` every `intervalMs`, never two at once, and whose stop waits for the one in progress:
 * the job clock (every tick, in every process with workers) and the INI file watch use it.
 */
export class IntervalLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: { name: string; intervalMs: number; work: () => Promise<unknown>; logger: Logger }) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.deps.work().then(
      () => undefined,
      (err) => this.deps.logger.warn({ err: (err as Error).message }, `${this.deps.name} failed`),
    );
    await this.running;
    this.running = undefined;
  }
}

/** The job clock's tick, as a loop. */
export const jobClockLoop = (clock: JobClock, intervalMs: number, logger: Logger) =>
  new IntervalLoop({ name: 'scheduler tick', intervalMs, work: () => clock.tick(), logger });

/** Re-reads the INI files that changed (netresearch's hot reload). */
export const configWatchLoop = (file: ConfigFile, intervalMs: number, logger: Logger) =>
  new IntervalLoop({ name: 'scheduler config reload', intervalMs, work: () => file.reload(false), logger });
