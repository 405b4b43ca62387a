import type { Task } from './task-repo';

/** What a handler gets: the task, a signal that aborts on stop, timeout or shutdown, and progress and log sinks. */
export interface TaskContext {
  task: Task;
  signal: AbortSignal;
  /** Percent (0–100) and a message for people; persisted throttled, published for live views. */
  progress(percent: number, message?: string): void;
  /** One line of the task's log. */
  log(line: string): void;
}

export interface TaskDefinition {
  type: string;
  /** Returns the task's result (stored as JSON). Throwing ends the task with code `failed` and the message. */
  run(ctx: TaskContext): Promise<unknown>;
  /** Aborts the signal and ends the task with `timeout` after this long; a task may ask for less, not more. */
  timeoutMs: number;
  /** Tasks of this type running at once in one worker process. */
  concurrency: number;
  /** Safe to run again from the start: a crashed or interrupted run is re-queued instead of ending `crashed`. */
  idempotent: boolean;
  /** When another task on the same object is unfinished: `refuse` (409 at creation) or `queue` (wait for it). */
  onConflict: 'refuse' | 'queue';
}

/**
 * The one place task types meet their handlers. `assertCovers` makes start-up fail when a declared type
 * has no handler, so a task can never sit in a queue nobody consumes.
 */
export class TaskRegistry {
  private readonly definitions = new Map<string, TaskDefinition>();

  register(definition: TaskDefinition): this {
    if (this.definitions.has(definition.type)) throw new Error(`task type ${definition.type} registered twice`);
    this.definitions.set(definition.type, definition);
    return this;
  }

  get(type: string): TaskDefinition | undefined {
    return this.definitions.get(type);
  }

  all(): TaskDefinition[] {
    return [...this.definitions.values()];
  }

  assertCovers(declared: readonly string[]): void {
    const missing = declared.filter((type) => !this.definitions.has(type));
    if (missing.length) throw new Error(`task types without a handler: ${missing.join(', ')}`);
  }
}
