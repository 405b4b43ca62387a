import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger';


/**
 * Cross-process signals about tasks over Redis pub/sub: "stop task N" (for the worker holding it) and
 * "task N changed" (a hint for live views to re-read the database). Both are best-effort: the database holds
 * the truth (a stop request is also stored, and the worker's heartbeat reads it).
 */
export class TaskEvents {
  private readonly local = new EventEmitter();
  private readonly stopChannel: string;
  private readonly changedChannel: string;

  constructor(
    private readonly deps: { publisher: Redis; subscriber: Redis; logger: Logger; prefix: string },
  ) {
    this.local.setMaxListeners(0);
    this.stopChannel = `${deps.prefix}:tasks:stop`;
    this.changedChannel = `${deps.prefix}:tasks:changed`;
  }

  /** Subscribes in the background: a Redis that is away must not hold up start-up. */
  start(): void {
    this.deps.subscriber.on('message', (channel: string, message: string) => {
      const taskId = Number(message);
      if (channel === this.stopChannel) this.local.emit('stop', taskId);
      if (channel === this.changedChannel) this.local.emit(`changed:${taskId}`);
    });
    // Queued until connected; ioredis re-subscribes by itself after a reconnect.
    this.deps.subscriber.subscribe(this.stopChannel, this.changedChannel).catch((err) =>
      this.deps.logger.warn({ err: err.message }, 'task events: subscribe failed; stop requests fall back to heartbeats'),
    );
  }

  publishStop(taskId: number): void {
    this.publish(this.stopChannel, taskId);
  }

  publishChanged(taskId: number): void {
    this.publish(this.changedChannel, taskId);
  }

  onStop(listener: (taskId: number) => void): () => void {
    this.local.on('stop', listener);
    return () => this.local.off('stop', listener);
  }

  onChanged(taskId: number, listener: () => void): () => void {
    this.local.on(`changed:${taskId}`, listener);
    return () => this.local.off(`changed:${taskId}`, listener);
  }

  private publish(channel: string, taskId: number): void {
    if (this.deps.publisher.status !== 'ready') return;
    this.deps.publisher.publish(channel, String(taskId)).catch(() => undefined);
  }
}
