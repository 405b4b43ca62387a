import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../services/core/clock';
import type { Logger } from '../services/core/logger';
import type { EventlogService } from '../services/eventlog/eventlog-service';
import type { TaskService } from '../services/tasks/task-service';

export interface RetentionDays {
  tasks: number;
  events: number;
  /** Login events are kept longest: they are what an investigation asks for first. */
  loginEvents: number;
}

/** Every night: finished tasks (and their logs) and audit events past their retention are removed. */
export function scheduleRetention(deps: { tasks: TaskService; eventlog: EventlogService; clock: Clock; logger: Logger; days: RetentionDays }): ScheduledTask {
  return cron.schedule('17 3 * * *', () => runRetention(deps));
}

export async function runRetention(deps: { tasks: TaskService; eventlog: EventlogService; clock: Clock; logger: Logger; days: RetentionDays }): Promise<void> {
  const before = deps.clock().getTime() - deps.days.tasks * 24 * 3600_000;
  try {
    const tasks = await deps.tasks.removeEndedBefore(before);
    const events = await deps.eventlog.prune(deps.days.events, deps.days.loginEvents);
    if (tasks || events) deps.logger.info({ tasks, events }, 'retention removed old records');
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'retention failed');
  }
}
