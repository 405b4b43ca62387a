import type { TaskCatalogue } from './task-catalogue';
import type { Task } from './task-repo';
import type { TaskType } from './task-type';

/** What a running task gets: the task, a signal that aborts on stop, timeout or shutdown, and progress and log sinks. */
export interface TaskContext {
  task: Task;
  signal: AbortSignal;
  /** Percent (0–100) and a message for people; persisted throttled, published for live views. */
  progress(percent: number, message?: string): void;
  /** One line of the task's log. */
  log(line: string): void;
}

/** What a run function gets: the task context and the task's args, parsed as its type's A. */
export interface HandlerContext<A> extends TaskContext {
  args: A;
}

/** A task type with the function that runs it (workers/ supplies these; workers/handlers.ts collects them). */
export interface TaskHandler {
  readonly type: TaskType<unknown>;
  /**
   * Parses the row's args and runs. Args that do not fit the type (a row written by older code, or by hand)
   * throw a 400 here, which ends the task `failed` naming the field: the worker itself carries on.
   */
  run(ctx: TaskContext): Promise<unknown>;
}

/** Binds a run function to its type; `ctx.args` is the type's A. */
export function handle<A>(type: TaskType<A>, run: (ctx: HandlerContext<A>) => Promise<unknown>): TaskHandler {
  return { type, run: (ctx) => run({ ...ctx, args: type.parse(ctx.task.args) }) };
}

/** What a worker process runs: each type's handler, at the concurrency this process gives the type. */
export interface WorkerHandler extends TaskHandler {
  readonly concurrency: number;
}

export type TaskHandlers = ReadonlyMap<string, WorkerHandler>;

/**
 * The handler map a worker process runs: each handler's type must be the catalogue's, and every type in the
 * catalogue must have a handler, so start-up fails rather than leave a task in a queue nobody consumes.
 * `concurrency` overrides a type's own (BERTH_TASK_CONCURRENCY).
 */
export function bindHandlers(catalogue: TaskCatalogue, handlers: TaskHandler[], concurrency: Record<string, number> = {}): TaskHandlers {
  const bound = new Map<string, WorkerHandler>();
  for (const handler of handlers) {
    const name = handler.type.name;
    if (!catalogue.has(handler.type)) throw new Error(`task handler for ${name} has no type in the catalogue`);
    if (bound.has(name)) throw new Error(`task type ${name} has two handlers`);
    bound.set(name, { ...handler, concurrency: concurrency[name] ?? handler.type.concurrency });
  }
  const missing = catalogue.all().filter((type) => !bound.has(type.name));
  if (missing.length) throw new Error(`task types without a handler: ${missing.map((type) => type.name).join(', ')}`);
  return bound;
}
