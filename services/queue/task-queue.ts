import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Task } from '../tasks/task-repo';

export function queueName(type: string): string {
  return `tasks-${type}`;
}

/** What a job carries: the task's id, and its object so a worker can tell without a query whether to wait. */
export interface TaskJobData {
  taskId: number;
  objectKey: string | null;
}

/** A run of a task is a BullMQ job named after the attempt, so a re-queued run never collides with an old job. */
export function jobId(task: Pick<Task, 'id' | 'attempt'>): string {
  return `${task.id}-${task.attempt}`;
}

/**
 * BullMQ as transport only: one queue per task type (so concurrency is per type), jobs carrying the task id.
 * Producers share the main connection, which fails fast while Redis is away.
 */
export class TaskQueue {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    /** BERTH_REDIS_PREFIX: BullMQ's key prefix. */
    private readonly prefix: string,
  ) {}

  isAvailable(): boolean {
    return this.connection.status === 'ready';
  }

  async enqueue(task: Pick<Task, 'id' | 'type' | 'attempt' | 'objectKey'>): Promise<void> {
    const data: TaskJobData = { taskId: task.id, objectKey: task.objectKey };
    await this.queue(task.type).add(
      task.type,
      data,
      { jobId: jobId(task), removeOnComplete: true, removeOnFail: true, attempts: 1 },
    );
  }

  async hasJob(task: Pick<Task, 'id' | 'type' | 'attempt'>): Promise<boolean> {
    return Boolean(await this.queue(task.type).getJob(jobId(task)));
  }

  /** Removes a job that has not started; a job already taken by a worker is left alone. */
  async remove(task: Pick<Task, 'id' | 'type' | 'attempt'>): Promise<void> {
    await this.queue(task.type).remove(jobId(task)).catch(() => undefined);
  }

  /** At most `concurrency` jobs of the type run at once across every worker process (BullMQ's global concurrency). */
  async limitGlobally(type: string, concurrency: number): Promise<void> {
    await this.queue(type).setGlobalConcurrency(concurrency);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  private queue(type: string): Queue {
    let queue = this.queues.get(type);
    if (!queue) {
      queue = new Queue(queueName(type), { connection: this.connection, prefix: this.prefix });
      queue.on('error', () => undefined);
      this.queues.set(type, queue);
    }
    return queue;
  }
}
