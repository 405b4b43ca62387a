import type { Clock } from '../services/core/clock';
import type { Logger } from '../services/core/logger';
import type { TaskQueue } from '../services/queue/task-queue';
import type { TaskEvents } from '../services/tasks/task-events';
import type { TaskCatalogue } from '../services/tasks/task-catalogue';
import type { TaskRepo } from '../services/tasks/task-repo';

export interface ReaperTiming {
  /** An active task whose heartbeat is older than this belongs to a dead worker. */
  staleAfterMs: number;
  /** How often the reaper looks. */
  intervalMs: number;
}

export const DEFAULT_REAPER_TIMING: ReaperTiming = { staleAfterMs: 30_000, intervalMs: 10_000 };

/**
 * Settles what dead processes left behind, at start and then periodically, in every process that runs workers:
 * - an active task whose worker stopped heartbeating ends `crashed` (and its type's settle hooks run), or, for
 *   idempotent types, goes back to pending and is queued again;
 * - a pending task whose BullMQ job is gone (Redis lost its data, or a crash between insert and enqueue) is
 *   queued again.
 * Every change is a conditional update, so several reapers can run at once and each task is settled once.
 */
export class TaskReaper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      tasks: TaskRepo;
      catalogue: TaskCatalogue;
      queue: TaskQueue;
      events: TaskEvents;
      clock: Clock;
      logger: Logger;
      timing?: ReaperTiming;
    },
  ) {}

  private get timing(): ReaperTiming {
    return this.deps.timing ?? DEFAULT_REAPER_TIMING;
  }

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.timing.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One pass; concurrent calls share it. */
  sweep(): Promise<void> {
    this.sweeping ??= this.settle()
      .catch((err) => this.deps.logger.warn({ err: (err as Error).message }, 'task reaper pass failed'))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async settle(): Promise<void> {
    const now = this.deps.clock().getTime();
    for (const task of await this.deps.tasks.stale(now - this.timing.staleAfterMs)) {
      const type = this.deps.catalogue.get(task.type);
      if (type?.idempotent && !task.stopRequested) {
        if (await this.deps.tasks.requeue(task.id, task.workerId, now)) {
          this.deps.logger.warn({ taskId: task.id, workerId: task.workerId }, 'worker died: re-running idempotent task');
          await this.requeueJob(task.id);
        }
      } else if (
        await this.deps.tasks.finish(task.id, task.workerId, { state: 'error', code: 'crashed', message: 'The worker running this task died' }, now)
      ) {
        this.deps.logger.warn({ taskId: task.id, workerId: task.workerId }, 'worker died: task crashed');
        this.deps.events.publishChanged(task.id);
        const ended = await this.deps.tasks.get(task.id);
        if (ended) await this.deps.catalogue.settled(ended);
        continue;
      }
      this.deps.events.publishChanged(task.id);
    }
    if (!this.deps.queue.isAvailable()) return;
    for (const task of await this.deps.tasks.pendingBefore(now - this.timing.staleAfterMs)) {
      if (!(await this.deps.queue.hasJob(task))) await this.deps.queue.enqueue(task);
    }
  }

  private async requeueJob(taskId: number): Promise<void> {
    const task = await this.deps.tasks.get(taskId);
    if (task && this.deps.queue.isAvailable()) await this.deps.queue.enqueue(task).catch(() => undefined);
  }
}
