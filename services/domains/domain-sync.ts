import type { AppRepo } from '../apps/app-repo';
import type { AppPublisher } from '../apps/reverse-proxy';
import type { TaskContext } from '../tasks/task-registry';
import { hostsOf, type AppDnsStep } from './app-dns';
import type { DomainRepo } from './domain-repo';

export const SYNC_DOMAIN_TASK = 'syncDomain';

/** What a change of a domain asks of the names at it: records through the (new) provider, the proxy's new certificate. */
export interface DomainChange {
  dns: boolean;
  proxy: boolean;
}

/**
 * The `syncDomain` task, started by a change of a domain's provider, zone, TLS settings, fallback certificate or
 * well-known documents: every installed app with a name at the domain (and the dashboard, when it is there) is
 * written to DNS through the domain's provider and published to the reverse proxy again. Every step converges,
 * so the task is idempotent; one app failing does not stop the others, and the task fails naming them.
 */
export class DomainSync {
  constructor(
    private readonly deps: {
      domains: DomainRepo;
      apps: AppRepo;
      dns: Pick<AppDnsStep, 'sync'>;
      publisher: AppPublisher;
      dashboard: { refresh(instanceId: string, domain: string, ctx: Pick<TaskContext, 'progress' | 'log'>, change: DomainChange): Promise<boolean> };
    },
  ) {}

  async run(instanceId: string, name: string, change: DomainChange, ctx: Pick<TaskContext, 'progress' | 'log'>): Promise<{ apps: string[]; failed: string[]; dashboard: boolean }> {
    if (!(await this.deps.domains.get(instanceId, name))) {
      ctx.log(`the domain ${name} was removed meanwhile: nothing to do`);
      return { apps: [], failed: [], dashboard: false };
    }
    const apps = (await this.deps.apps.list(instanceId)).filter(
      (app) => app.installationState === 'installed' && hostsOf(app).some((h) => h.domain === name),
    );
    const failed: string[] = [];
    for (const [i, app] of apps.entries()) {
      ctx.progress(Math.round((100 * i) / (apps.length + 1)), `Updating app ${app.fqdn}`);
      try {
        if (change.dns) await this.deps.dns.sync(app);
        if (change.proxy) await this.deps.publisher.publish(app, (line) => ctx.log(line));
        ctx.log(`app ${app.id} (${app.fqdn}) updated`);
      } catch (err) {
        failed.push(app.fqdn);
        ctx.log(`app ${app.id} (${app.fqdn}) not updated: ${(err as Error).message}`);
      }
    }
    const dashboard = await this.deps.dashboard.refresh(instanceId, name, ctx, change);
    if (failed.length) throw new Error(`${failed.length} app(s) at ${name} were not updated: ${failed.join(', ')} (see the task log)`);
    ctx.progress(100, `Updated ${apps.length} app(s)${dashboard ? ' and the dashboard' : ''} at ${name}`);
    return { apps: apps.map((a) => a.fqdn), failed, dashboard };
  }
}
