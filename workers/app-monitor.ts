import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AppHealthMonitor } from '../services/apps/app-health';
import type { Logger } from '../services/core/logger';

/**
 * Runs the app health monitor every `intervalMs` in processes that run workers. A short Redis lock makes one
 * process sweep per interval however many workers there are, so apps are not probed (or restarted) twice.
 */
export class AppMonitorLoop {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly owner = randomUUID();

  constructor(private readonly deps: { monitor: AppHealthMonitor; redis: Redis; prefix: string; intervalMs: number; logger: Logger }) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async tick(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = (async () => {
      try {
        const lock = await this.deps.redis.set(`${this.deps.prefix}:apps:health-lock`, this.owner, 'PX', Math.max(this.deps.intervalMs - 100, 100), 'NX');
        if (lock === 'OK') await this.deps.monitor.checkAll();
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message }, 'app health sweep failed');
      }
    })();
    await this.sweeping;
    this.sweeping = undefined;
  }
}
