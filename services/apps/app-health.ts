import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { EventlogService } from '../eventlog/eventlog-service';
import type { App, AppRepo } from './app-repo';
import type { AppRuntime } from './app-runtime';
import type { Health } from './app-states';
import { probeHttp } from './host-ports';

export interface HealthDeps {
  apps: AppRepo;
  runtime: AppRuntime;
  eventlog: EventlogService;
  clock: Clock;
  logger: Logger;
  /** Called for an installed app whose container is gone: the reconciler recreates it. */
  recreate(app: App): Promise<void>;
  probeTimeoutMs?: number;
  /** First restart of a dead app after this long, doubling per attempt up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Cloudron's app health monitor: inspects each running app's container and calls its health check path.
 * healthy (answered below 400), unhealthy (no answer or ≥ 400), dead (container not running) or error
 * (the engine could not say). Changes go to the audit log; a dead app that should run is started again with
 * exponential backoff. The engine's own restart policy handles crash loops; this covers containers that were
 * stopped behind Berth's back or gave up.
 */
export class AppHealthMonitor {
  private readonly restarts = new Map<string, { attempts: number; nextAt: number }>();

  constructor(private readonly deps: HealthDeps) {}

  async checkAll(): Promise<void> {
    const apps = await this.deps.apps.listInStates(['installed']);
    for (const app of apps.filter((a) => a.runState === 'running')) {
      await this.check(app).catch((err) => this.deps.logger.warn({ err: (err as Error).message, appId: app.id }, 'health check failed'));
    }
  }

  async check(app: App): Promise<Health> {
    const { runtime } = this.deps;
    let health: Health;
    let detail: string;
    let container: Awaited<ReturnType<AppRuntime['inspect']>>;
    try {
      container = await runtime.inspect(app.id);
    } catch (err) {
      return this.record(app, 'error', `the engine did not answer: ${(err as Error).message}`);
    }
    if (!container) {
      await this.record(app, 'dead', 'the container is missing');
      await this.deps.recreate(app);
      return 'dead';
    }
    if (!container.running || container.restarting) {
      health = 'dead';
      detail = container.oomKilled ? 'killed for exceeding its memory limit' : `container ${container.status}, exit code ${container.exitCode}`;
    } else {
      const probe = await probeHttp(app.httpPort ?? 0, app.manifest.healthCheckPath, app.fqdn, this.deps.probeTimeoutMs ?? 5000);
      health = probe.healthy ? 'healthy' : 'unhealthy';
      detail = probe.detail;
    }
    await this.record(app, health, detail);
    if (health === 'healthy') this.restarts.delete(app.id);
    if (health === 'dead' && !container.restarting) await this.restartWithBackoff(app, container.id);
    return health;
  }

  private async record(app: App, health: Health, detail: string): Promise<Health> {
    const now = this.deps.clock();
    // Only an installed app's health is written: an operation that started meanwhile owns the row.
    await this.deps.apps.update(app.id, { health, healthTime: now.toISOString() }, now.toISOString(), ['installed']);
    if (health !== app.health) {
      await this.deps.eventlog.record(system(app), 'app.health', app.id, { before: app.health, after: health, detail });
    }
    return health;
  }

  private async restartWithBackoff(app: App, containerId: string): Promise<void> {
    const now = this.deps.clock().getTime();
    const state = this.restarts.get(app.id) ?? { attempts: 0, nextAt: 0 };
    if (now < state.nextAt) return;
    const base = this.deps.backoffMs ?? 30_000;
    state.attempts += 1;
    state.nextAt = now + Math.min(base * 2 ** (state.attempts - 1), this.deps.maxBackoffMs ?? 30 * 60_000);
    this.restarts.set(app.id, state);
    await this.deps.runtime.start(containerId).catch((err) => this.deps.logger.warn({ err: (err as Error).message, appId: app.id }, 'restart failed'));
    await this.deps.eventlog.record(system(app), 'app.restart', app.id, { reason: 'dead', attempt: state.attempts });
  }
}

const system = (app: App) => ({ instanceId: app.instanceId, userId: null, tokenId: null, ip: null });
