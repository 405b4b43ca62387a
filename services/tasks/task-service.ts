import type { Clock } from '../core/clock';
import { isUniqueViolation } from '../db/database';
import { BerthError, conflict, notFound, serviceUnavailable, validationError } from '../core/errors';
import type { TaskQueue } from '../queue/task-queue';
import type { TaskEvents } from './task-events';
import type { TaskCatalogue } from './task-catalogue';
import type { Task, TaskRepo } from './task-repo';
import type { TaskType } from './task-type';

export interface NewTask<A> {
  instanceId: string;
  args: A;
  /** The app or object the task acts on (`app:<id>`); at most one task at a time runs on it. */
  objectKey?: string;
  createdBy?: string;
  /** Lower than the type's timeout, never higher. */
  timeoutMs?: number;
}

const TERMINAL = new Set(['success', 'error']);

export type FollowEvent = { kind: 'line'; id: number; at: number; line: string } | { kind: 'end'; task: Task };

/** Creating, reading and stopping tasks. Running them is the workers' job (workers/task-runner.ts). */
export class TaskService {
  constructor(
    private readonly deps: { tasks: TaskRepo; catalogue: TaskCatalogue; queue: TaskQueue; events: TaskEvents; clock: Clock },
  ) {}

  /**
   * Stores the task, then hands its id to BullMQ. Args that do not fit the type: 400 naming the field. While
   * Redis is away: 503, and nothing is stored.
   */
  async create<A>(definition: TaskType<A>, input: NewTask<A>): Promise<Task> {
    if (!this.deps.catalogue.has(definition)) throw validationError(`Unknown task type ${definition.name}`, { field: 'type' });
    const args = definition.parse(input.args);
    if (!this.deps.queue.isAvailable()) throw serviceUnavailable('The task queue (Redis) is not reachable; try again shortly');
    if (input.objectKey && definition.onConflict === 'refuse') {
      const [running] = await this.deps.tasks.unfinishedOn(input.objectKey);
      if (running) throw conflict(`Task ${running.id} (${running.type}) is still running on ${input.objectKey}`, { taskId: running.id });
    }
    const timeoutMs = Math.min(input.timeoutMs ?? definition.timeoutMs, definition.timeoutMs);
    const exclusive = input.objectKey && definition.onConflict === 'refuse' ? input.objectKey : null;
    const task = await this.deps.tasks
      .insert({
        instanceId: input.instanceId,
        type: definition.name,
        args,
        objectKey: input.objectKey ?? null,
        exclusiveKey: exclusive,
        createdBy: input.createdBy ?? null,
        timeoutMs,
        now: this.deps.clock().getTime(),
      })
      .catch((err) => {
        if (isUniqueViolation(err)) throw conflict(`Another task is still running on ${input.objectKey}`);
        throw err;
      });
    try {
      await this.deps.queue.enqueue(task);
    } catch {
      await this.deps.tasks.delete(task.id);
      throw serviceUnavailable('The task queue (Redis) is not reachable; try again shortly');
    }
    return task;
  }

  async get(instanceId: string, id: number): Promise<Task> {
    const task = await this.deps.tasks.getForInstance(instanceId, id);
    if (!task) throw notFound('No such task');
    return task;
  }

  /** Any tenant's task: for the operator (the admin API). */
  async getAny(id: number): Promise<Task> {
    const task = await this.deps.tasks.get(id);
    if (!task) throw notFound('No such task');
    return task;
  }

  list(instanceId: string, query: { type?: string; page: number; perPage: number }): Promise<Task[]> {
    return this.deps.tasks.list({ instanceId, ...query });
  }

  /** The last `lines` log lines (all when omitted). */
  async logs(instanceId: string, id: number, lines = 10_000): Promise<Array<{ id: number; at: number; line: string }>> {
    await this.get(instanceId, id);
    return this.deps.tasks.lastLogs(id, lines);
  }

  async logsAfter(id: number, afterId: number, limit = 500) {
    return this.deps.tasks.logsAfter(id, afterId, limit);
  }

  isFinished(task: Task): boolean {
    return TERMINAL.has(task.state);
  }

  /**
   * A pending task ends `stopped` at once. An active one is flagged in the database and the worker holding it
   * is told over Redis; its handler's signal aborts and the task ends `stopped` within moments.
   */
  async stop(instanceId: string, id: number): Promise<void> {
    const task = await this.get(instanceId, id);
    if (TERMINAL.has(task.state)) throw new BerthError('CONFLICT', 409, `Task ${id} is not active (${task.state})`);
    if (task.stopRequested) throw new BerthError('CONFLICT', 409, `Task ${id} is already stopping`);
    const now = this.deps.clock().getTime();
    if (task.state === 'pending' && (await this.deps.tasks.finishPending(id, { state: 'error', code: 'stopped', message: 'Stopped' }, now))) {
      await this.deps.queue.remove(task);
      this.deps.events.publishChanged(id);
      await this.settled(id);
      return;
    }
    await this.deps.tasks.requestStop(id, now);
    this.deps.events.publishStop(id);
  }

  /**
   * Stops every unfinished task of a tenant but `exceptId` (the tenant's deletion), and waits up to `waitMs` for
   * the active ones to end, so none still works on what is about to be removed. Returns how many it stopped.
   */
  async stopAllOf(instanceId: string, exceptId: number, waitMs: number): Promise<number> {
    const others = (await this.deps.tasks.unfinishedFor(instanceId)).filter((t) => t.id !== exceptId);
    for (const task of others) {
      // Ended or already stopping since it was listed: nothing to do.
      await this.stop(instanceId, task.id).catch((err) => {
        if (!(err instanceof BerthError && err.status === 409)) throw err;
      });
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && (await this.deps.tasks.unfinishedFor(instanceId)).some((t) => t.id !== exceptId)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return others.length;
  }

  /**
   * The task's log as it grows: the last `tail` lines so far, then each new line, then the final task when it
   * ends. Change hints from Redis wake it early; it re-reads the database at least every second, so a lost
   * hint only delays a line.
   */
  async *follow(instanceId: string, id: number, tail: number, signal: AbortSignal, resumeAfter?: number): AsyncGenerator<FollowEvent> {
    await this.get(instanceId, id);
    let wake: (() => void) | undefined;
    const unsubscribe = this.deps.events.onChanged(id, () => wake?.());
    try {
      // A reconnecting client (Last-Event-ID) continues after the last line it saw.
      const initial = resumeAfter === undefined && tail > 0 ? await this.deps.tasks.lastLogs(id, tail) : [];
      let lastId = resumeAfter ?? (initial.length ? initial[initial.length - 1].id : await this.lastLogId(id, tail));
      for (const line of initial) yield { kind: 'line', ...line };
      while (!signal.aborted) {
        const task = await this.get(instanceId, id);
        for (let batch = await this.deps.tasks.logsAfter(id, lastId, 500); batch.length; batch = await this.deps.tasks.logsAfter(id, lastId, 500)) {
          for (const line of batch) yield { kind: 'line', ...line };
          lastId = batch[batch.length - 1].id;
        }
        if (TERMINAL.has(task.state)) {
          yield { kind: 'end', task };
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
          signal.addEventListener('abort', wake, { once: true });
        });
      }
    } finally {
      unsubscribe();
    }
  }

  /** Runs the type's settle hooks on the ended row. */
  private async settled(id: number): Promise<void> {
    const ended = await this.deps.tasks.get(id);
    if (ended) await this.deps.catalogue.settled(ended);
  }

  /** With no tail requested, following starts after the newest line. */
  private async lastLogId(id: number, tail: number): Promise<number> {
    if (tail > 0) return 0;
    const [last] = await this.deps.tasks.lastLogs(id, 1);
    return last?.id ?? 0;
  }

  /** Retention: removes finished tasks (and their logs) that ended before `before`. */
  removeEndedBefore(before: number): Promise<number> {
    return this.deps.tasks.deleteEndedBefore(before);
  }
}
