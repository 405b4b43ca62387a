import { validationError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Task } from './task-repo';
import type { TaskType } from './task-type';

/** Runs once a task has ended, with the ended row and its args. */
export type SettleHook<A> = (settled: { task: Task; args: A }) => Promise<void>;

/**
 * Every task type this process knows, and what each module wants done when one of its tasks ends. Modules
 * add their types (`services/<module>/<module>-tasks.ts`) and hooks while Berth is composed; the task service,
 * the runner and the reaper read it. It knows no handlers: those come later, from workers/handlers.ts.
 *
 * A settle hook runs however the task ended: success, failure, timeout, a stop (running or pending), a crash
 * found by the reaper. Not when an idempotent task is re-queued to run again, and not for a row whose args do
 * not fit its type (there is nothing typed to hand the hook). Hooks run after the row is final, in the process
 * that ended it; one that throws is logged, never undoes the ending. A process killed between the two loses
 * the hook: modules whose state must follow their tasks also sweep at start-up (AppSettler.sweep).
 */
export class TaskCatalogue {
  private readonly types = new Map<string, TaskType<unknown>>();
  private readonly hooks = new Map<string, Array<(task: Task) => Promise<void>>>();

  constructor(private readonly deps: { logger: Logger }) {}

  add(...types: Array<TaskType<unknown>>): this {
    for (const type of types) {
      if (this.types.has(type.name)) throw new Error(`task type ${type.name} added twice`);
      this.types.set(type.name, type);
    }
    return this;
  }

  onSettled<A>(type: TaskType<A>, hook: SettleHook<A>): this {
    if (this.types.get(type.name) !== type) throw new Error(`task type ${type.name} is not in the catalogue`);
    const run = async (task: Task) => {
      const parsed = type.tryParse(task.args);
      if (!parsed.ok) {
        this.deps.logger.warn({ taskId: task.id, type: task.type, err: parsed.error.message }, 'task args do not fit their type: settle hook skipped');
        return;
      }
      await hook({ task, args: parsed.args });
    };
    this.hooks.set(type.name, [...(this.hooks.get(type.name) ?? []), run]);
    return this;
  }

  get(name: string): TaskType<unknown> | undefined {
    return this.types.get(name);
  }

  /** By name, for callers that hold a name (tests, the CLI's benchmarks): 400 for a name nobody added. */
  byName(name: string): TaskType<unknown> {
    const type = this.types.get(name);
    if (!type) throw validationError(`Unknown task type ${name}`, { field: 'type' });
    return type;
  }

  /** True for the very type object that was added, so a look-alike declared elsewhere is refused. */
  has(type: TaskType<unknown>): boolean {
    return this.types.get(type.name) === type;
  }

  all(): Array<TaskType<unknown>> {
    return [...this.types.values()];
  }

  /** Runs the hooks for an ended task. Never throws: a failing hook is logged. */
  async settled(task: Task): Promise<void> {
    for (const hook of this.hooks.get(task.type) ?? []) {
      await hook(task).catch((err) =>
        this.deps.logger.warn({ taskId: task.id, type: task.type, err: (err as Error).message }, 'task settle hook failed'),
      );
    }
  }
}
