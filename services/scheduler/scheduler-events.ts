import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger';

/** The seed's WebSocket event types. */
export type SchedulerEventType =
  | 'job.started'
  | 'job.completed'
  | 'job.failed'
  | 'job.added'
  | 'job.updated'
  | 'job.removed'
  | 'scheduler.started'
  | 'scheduler.stopped';

export interface SchedulerEvent {
  type: SchedulerEventType;
  /** The tenant it concerns: a listener passes on only its own tenant's events. */
  instanceId: string;
  payload: Record<string, unknown>;
  timestamp: string;
}

/**
 * What happens to jobs, for live views (`GET /api/ws`), across processes over Redis pub/sub: an execution ends in a
 * worker process while the WebSocket is held by an API process. Best-effort like every event here: the database
 * holds the truth, a view that missed one re-reads it.
 */
export class SchedulerEvents {
  private readonly local = new EventEmitter();
  private readonly channel: string;

  constructor(private readonly deps: { publisher: Redis; subscriber: Redis; logger: Logger; prefix: string }) {
    this.local.setMaxListeners(0);
    this.channel = `${deps.prefix}:scheduler:events`;
  }

  start(): void {
    this.deps.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        this.local.emit('event', JSON.parse(message) as SchedulerEvent);
      } catch {
        // Not ours (another version's format): dropped.
      }
    });
    this.deps.subscriber.subscribe(this.channel).catch((err) =>
      this.deps.logger.warn({ err: err.message }, 'scheduler events: subscribe failed; live views will not update'),
    );
  }

  publish(instanceId: string, type: SchedulerEventType, payload: Record<string, unknown>, at: Date): void {
    const event: SchedulerEvent = { type, instanceId, payload, timestamp: at.toISOString() };
    if (this.deps.publisher.status !== 'ready') return;
    this.deps.publisher.publish(this.channel, JSON.stringify(event)).catch(() => undefined);
  }

  onEvent(listener: (event: SchedulerEvent) => void): () => void {
    this.local.on('event', listener);
    return () => this.local.off('event', listener);
  }
}
