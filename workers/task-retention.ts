import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../services/core/clock';
import type { Logger } from '../services/core/logger';
import type { TaskService } from '../services/tasks/task-service';

/** Every night, finished tasks (and, by cascade, their logs) older than the retention are removed. */
export function scheduleTaskRetention(deps: { tasks: TaskService; clock: Clock; logger: Logger; retentionDays: number }): ScheduledTask {
  return cron.schedule('17 3 * * *', async () => {
    const before = deps.clock().getTime() - deps.retentionDays * 24 * 3600_000;
    const removed = await deps.tasks.removeEndedBefore(before).catch((err) => {
      deps.logger.warn({ err: (err as Error).message }, 'task retention failed');
      return 0;
    });
    if (removed) deps.logger.info({ removed }, 'old tasks removed');
  });
}
