import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Clock } from '../services/core/clock';
import type { Logger } from '../services/core/logger';
import { queueName, type TaskJobData, type TaskQueue } from '../services/queue/task-queue';
import type { TaskEvents } from '../services/tasks/task-events';
import type { TaskCatalogue } from '../services/tasks/task-catalogue';
import type { TaskHandlers, WorkerHandler } from '../services/tasks/task-handler';
import type { Outcome, Task, TaskRepo } from '../services/tasks/task-repo';
import type { FairShare } from '../services/tasks/fair-share';

export interface RunnerTiming {
  /** How often the worker proves it is alive (and reads stop requests). */
  heartbeatMs: number;
  /** Progress and log lines are written at most this often. */
  flushMs: number;
}

export const DEFAULT_RUNNER_TIMING: RunnerTiming = { heartbeatMs: 5000, flushMs: 250 };

type AbortReason = 'stopped' | 'timeout' | 'shutdown' | 'lost';

interface Running {
  task: Task;
  handler: WorkerHandler;
  controller: AbortController;
}

/** Thrown into a handler's signal; handlers may pass it on, the runner reads `reason`. */
class TaskAborted extends Error {
  constructor(readonly reason: AbortReason) {
    super(`task ${reason}`);
  }
}

/**
 * Runs tasks in this process: one BullMQ worker per task type (concurrency per type), each job only a task id.
 * The task row is claimed atomically (so two workers racing for one task run it once), heartbeats keep it
 * alive, and a stop request, a timeout or a shutdown aborts the handler's signal.
 */
export class TaskRunner {
  readonly workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly workers: Worker[] = [];
  private readonly running = new Map<number, Running>();
  private unsubscribeStop: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly deps: {
      tasks: TaskRepo;
      catalogue: TaskCatalogue;
      /** The run functions (workers/handlers.ts), one per type in the catalogue. */
      handlers: TaskHandlers;
      queue: TaskQueue;
      events: TaskEvents;
      connection: RedisOptions;
      /** BERTH_REDIS_PREFIX. */
      prefix: string;
      clock: Clock;
      logger: Logger;
      timing?: RunnerTiming;
      /** Per-tenant share of each type's concurrency (services/tasks/fair-share.ts). */
      fairShare?: FairShare;
    },
  ) {}

  private get timing(): RunnerTiming {
    return this.deps.timing ?? DEFAULT_RUNNER_TIMING;
  }

  start(): void {
    this.unsubscribeStop = this.deps.events.onStop((taskId) => this.abort(taskId, 'stopped'));
    for (const handler of this.deps.handlers.values()) {
      const worker = new Worker(queueName(handler.type.name), (job: Job, token?: string) => this.process(job, token), {
        connection: this.deps.connection as ConnectionOptions,
        prefix: this.deps.prefix,
        concurrency: handler.concurrency,
        // Our heartbeat is the crash detector; BullMQ's stall check only re-delivers, and a claim decides.
        maxStalledCount: 1,
      });
      worker.on('error', (err) => this.deps.logger.debug({ err: err.message, type: handler.type.name }, 'task worker error'));
      this.workers.push(worker);
    }
    this.heartbeat = setInterval(() => void this.beat(), this.timing.heartbeatMs);
    this.deps.logger.info({ workerId: this.workerId, types: [...this.deps.handlers.keys()] }, 'task workers started');
  }

  /**
   * Drains: stops taking jobs, lets running tasks finish within `graceMs`, then aborts the rest. Idempotent
   * ones go back to pending for another worker; others end `crashed`.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map((w) => w.pause(true).catch(() => undefined)));
    const deadline = Date.now() + graceMs;
    while (this.running.size && Date.now() < deadline) await sleep(50);
    for (const id of this.running.keys()) this.abort(id, 'shutdown');
    while (this.running.size) await sleep(20);
    clearInterval(this.heartbeat);
    this.unsubscribeStop?.();
    await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
  }

  private async process(job: Job<TaskJobData>, token?: string): Promise<void> {
    const taskId = Number(job.data.taskId);
    const handler = this.deps.handlers.get(job.name);
    if (!handler) return;
    // A job fetched while this process drains, one whose object is busy with an earlier task, or one whose
    // tenant already runs its share of this type, goes back to the queue for later (possibly another worker).
    const later = async () => {
      await job.moveToDelayed(Date.now() + 500, token);
      throw new DelayedError();
    };
    if (this.stopping || (job.data.objectKey && (await this.mustWait(taskId, job.data.objectKey)))) return later();
    const claim = () => this.deps.tasks.claim(taskId, this.workerId, this.now());
    const task = this.deps.fairShare ? await this.deps.fairShare.admit(taskId, handler.concurrency, claim) : await claim();
    if (task === 'wait') return later();
    if (!task) return; // ended, stopped or taken by another worker
    const controller = new AbortController();
    this.running.set(taskId, { task, handler, controller });
    this.deps.events.publishChanged(taskId);
    try {
      await this.execute(task, handler, controller);
    } finally {
      this.running.delete(taskId);
      this.deps.events.publishChanged(taskId);
    }
  }

  private async execute(task: Task, handler: WorkerHandler, controller: AbortController): Promise<void> {
    const sink = new ProgressSink(task, this.deps.tasks, this.workerId, this.deps.events, this.deps.clock, this.timing.flushMs);
    const timer = setTimeout(() => controller.abort(new TaskAborted('timeout')), task.timeoutMs);
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
    );
    aborted.catch(() => undefined);
    let outcome: Outcome | 'requeue';
    try {
      // A handler that ignores its signal is abandoned when the signal aborts; the task still ends.
      const result = await Promise.race([
        handler.run({ task, signal: controller.signal, progress: sink.progress, log: sink.log }),
        aborted,
      ]);
      if (controller.signal.aborted) throw controller.signal.reason;
      outcome = { state: 'success', result: result ?? null, percent: 100, message: sink.lastMessage() };
    } catch (err) {
      outcome = this.failure(err, controller, handler);
    } finally {
      clearTimeout(timer);
    }
    await sink.flush();
    const now = this.now();
    if (outcome === 'requeue') {
      const fresh = await this.deps.tasks.get(task.id);
      if (fresh && (await this.deps.tasks.requeue(task.id, this.workerId, now))) await this.deps.queue.enqueue(fresh);
      return;
    }
    if (await this.deps.tasks.finish(task.id, this.workerId, outcome, now)) await this.settled(task.id);
  }

  /** The type's settle hooks, once the row is final (published first, so readers see the end at once). */
  private async settled(taskId: number): Promise<void> {
    this.deps.events.publishChanged(taskId);
    const ended = await this.deps.tasks.get(taskId);
    if (ended) await this.deps.catalogue.settled(ended);
  }

  private failure(err: unknown, controller: AbortController, handler: WorkerHandler): Outcome | 'requeue' {
    const reason = controller.signal.aborted && controller.signal.reason instanceof TaskAborted ? controller.signal.reason.reason : undefined;
    switch (reason) {
      case 'stopped':
        return { state: 'error', code: 'stopped', message: 'Stopped' };
      case 'timeout':
        return { state: 'error', code: 'timeout', message: 'The task took longer than its time limit' };
      case 'shutdown':
        return handler.type.idempotent ? 'requeue' : { state: 'error', code: 'crashed', message: 'The worker shut down while the task ran' };
      case 'lost':
        return { state: 'error', code: 'crashed', message: 'The worker lost the task' };
      default:
        return { state: 'error', code: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
  }

  private abort(taskId: number, reason: AbortReason): void {
    const running = this.running.get(taskId);
    if (running && !running.controller.signal.aborted) running.controller.abort(new TaskAborted(reason));
  }

  /** Heartbeats for every running task; picks up stop requests whose pub/sub message was missed. */
  private async beat(): Promise<void> {
    for (const [id, running] of this.running) {
      try {
        const { held, stopRequested } = await this.deps.tasks.heartbeat(id, this.workerId, this.now());
        if (!held) this.abort(id, running.task.stopRequested ? 'stopped' : 'lost');
        else if (stopRequested) this.abort(id, 'stopped');
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message, taskId: id }, 'task heartbeat failed');
      }
    }
  }

  /** For `queue` types: the unfinished task on the same object that must finish first, if any. */
  private async mustWait(taskId: number, objectKey: string): Promise<boolean> {
    const [first] = await this.deps.tasks.unfinishedOn(objectKey);
    return Boolean(first && first.id !== taskId);
  }

  private now(): number {
    return this.deps.clock().getTime();
  }
}

/** Collects progress and log lines from a handler and writes them at most every `flushMs`. */
class ProgressSink {
  private percent = 0;
  private message = '';
  private lines: Array<{ at: number; line: string }> = [];
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly task: Task,
    private readonly tasks: TaskRepo,
    private readonly workerId: string,
    private readonly events: TaskEvents,
    private readonly clock: Clock,
    private readonly flushMs: number,
  ) {}

  progress = (percent: number, message?: string): void => {
    this.percent = Math.max(0, Math.min(100, Math.round(percent)));
    if (message !== undefined) this.message = message.slice(0, 1000);
    this.dirty = true;
    this.schedule();
  };

  log = (line: string): void => {
    // Each line keeps the time it was logged, not the time its batch was written.
    const at = this.clock().getTime();
    for (const part of String(line).split('\n')) this.lines.push({ at, line: part.slice(0, 10_000) });
    this.schedule();
  };

  lastMessage(): string {
    return this.message;
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.write()).catch(() => undefined);
    return this.writing;
  }

  private schedule(): void {
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }

  private async write(): Promise<void> {
    const lines = this.lines;
    this.lines = [];
    const now = this.clock().getTime();
    if (lines.length) await this.tasks.appendLog(this.task.id, lines);
    const progressed = this.dirty;
    if (progressed) {
      this.dirty = false;
      await this.tasks.heartbeat(this.task.id, this.workerId, now, { percent: this.percent, message: this.message });
    }
    if (lines.length || progressed) this.events.publishChanged(this.task.id);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
