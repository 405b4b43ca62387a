import type { AppRepo } from '../apps/app-repo';
import type { AppPublisher } from '../apps/app-publisher';
import { hostsOf, type AppDnsStep } from '../apps/app-dns-step';
import type { TaskContext } from '../tasks/task-handler';
import type { DomainRepo } from './domain-repo';
import type { WellKnownPublisher } from './well-known-publisher';


/** What a change of a domain asks of the names at it: records through the (new) provider, the proxy's new certificate. */
export interface DomainChange {
  dns: boolean;
  proxy: boolean;
}

/**
 * The `syncDomain` task, started by a change of a domain's provider, zone, TLS settings, fallback certificate or
 * well-known documents (and by adding or removing a domain that has some): its well-known site, then every installed app with a name at the domain (and the dashboard, when it is there) is
 * written to DNS through the domain's provider and published to the reverse proxy again. Every step converges,
 * so the task is idempotent; one app failing does not stop the others, and the task fails naming them.
 */
export class DomainSync {
  constructor(
    private readonly deps: {
      domains: DomainRepo;
      apps: AppRepo;
      dns: Pick<AppDnsStep, 'sync'>;
      publisher: AppPublisher & WellKnownPublisher;
      dashboard: { refresh(instanceId: string, domain: string, ctx: Pick<TaskContext, 'progress' | 'log'>, change: DomainChange): Promise<boolean> };
    },
  ) {}

  async run(instanceId: string, name: string, change: DomainChange, ctx: Pick<TaskContext, 'progress' | 'log'>): Promise<{ apps: string[]; failed: string[]; dashboard: boolean }> {
    const apps = (await this.deps.apps.list(instanceId)).filter(
      (app) => app.installationState === 'installed' && hostsOf(app).some((h) => h.domain === name),
    );
    // An app at the bare domain serves the well-known documents in its own site.
    if (change.proxy) await this.deps.publisher.publishWellKnown(instanceId, name, !apps.some((app) => hostsOf(app).some((h) => h.fqdn === name)), (line) => ctx.log(line));
    if (!(await this.deps.domains.get(instanceId, name))) {
      ctx.log(`the domain ${name} was removed: nothing else to do`);
      return { apps: [], failed: [], dashboard: false };
    }
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
