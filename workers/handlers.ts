import type { TaskCatalogue } from '../services/tasks/task-catalogue';
import { bindHandlers, type TaskHandler, type TaskHandlers } from '../services/tasks/task-handler';
import { crashingAt } from './test-handlers';

export interface HandlerOptions {
  testTasks: boolean;
  /** Test builds only (with testTasks): the step at which this process kills itself. */
  crashAt?: string;
  /** BERTH_TASK_CONCURRENCY: per-type overrides of the types' own concurrency. */
  concurrency?: Record<string, number>;
}

/**
 * Every module's run functions (each module's compose file hands its own over), matched to the catalogue's types.
 * Start-up fails when a type has no handler or a handler has no type. Only processes that run workers bind these;
 * the task service needs the catalogue alone.
 */
export function buildTaskHandlers(catalogue: TaskCatalogue, plain: TaskHandler[], options: HandlerOptions): TaskHandlers {
  const { crashAt } = options;
  const handlers = options.testTasks && crashAt ? plain.map((handler) => crashingAt(crashAt, handler)) : plain;
  return bindHandlers(catalogue, handlers, options.concurrency);
}
