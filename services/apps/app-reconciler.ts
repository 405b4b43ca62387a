import { conflict } from '../core/errors';
import type { Logger } from '../core/logger';
import type { InstanceRepo } from '../instances/instance-repo';
import type { App, AppRepo } from './app-repo';
import { isAppContainer, type AppRuntime, type ManagedContainer } from './app-runtime';
import { INSTALLATION_STATES } from './app-states';
import type { AppService } from './app-service';

export interface ReconcileReport {
  /** Installed apps that had no container: a recreate task was started for each. */
  recreated: Array<{ appId: string; taskId: number }>;
  /** Containers with Berth's labels and no app. */
  orphans: ManagedContainer[];
  /** Orphans removed (only when asked). */
  removed: string[];
}

/**
 * Makes the engine agree with the database at start-up: installed apps missing their container get it back
 * (through a `recreate` task, which converges like an install); containers Berth labelled whose app is gone
 * are reported, and removed only when asked. Only containers labelled with one of this database's tenants
 * count.
 */
export class AppReconciler {
  constructor(private readonly deps: { apps: AppRepo; instances: InstanceRepo; runtime: AppRuntime; service: AppService; logger: Logger }) {}

  async reconcile(options: { removeOrphans: boolean }): Promise<ReconcileReport> {
    await this.deps.runtime.isolateNetworks();
    // Only this box's tenants: an engine shared with another Berth (its tests, a staging box) keeps its containers.
    // Only apps' containers: a module's platform containers (services/platform/) are its own to converge.
    const tenants = new Set(await this.deps.instances.ids());
    const containers = (await this.deps.runtime.listManaged()).filter((c) => tenants.has(c.instanceId) && isAppContainer(c));
    const apps = await this.deps.apps.listInStates([...INSTALLATION_STATES]);
    const report: ReconcileReport = { recreated: [], orphans: [], removed: [] };
    const withContainer = new Set(containers.map((c) => c.appId));
    for (const app of apps.filter((a) => a.installationState === 'installed' && !withContainer.has(a.id))) {
      // Another process reconciling at the same moment may have moved this app first (409): that is fine.
      const taskId = await this.recreate(app).catch((err) => this.deps.logger.info({ appId: app.id, err: (err as Error).message }, 'not recreating'));
      if (taskId) report.recreated.push({ appId: app.id, taskId });
    }
    const known = new Set(apps.map((a) => a.id));
    report.orphans = containers.filter((c) => !known.has(c.appId));
    for (const orphan of options.removeOrphans ? report.orphans : []) {
      await this.deps.runtime.removeContainer(orphan.id);
      report.removed.push(orphan.id);
    }
    if (report.orphans.length && !options.removeOrphans) {
      this.deps.logger.warn(
        { containers: report.orphans.map((o) => `${o.name} (${o.id.slice(0, 12)})`) },
        'containers labelled by Berth belong to no app; remove them with `berth reconcile --remove-orphans`',
      );
    }
    return report;
  }

  /** Starts a recreate task for an installed app whose container is missing. */
  async recreate(app: App): Promise<number> {
    // A tenant being deleted is losing its apps: bringing one back (after a crash of the deletion, say) would
    // race the deletion task and could leave a container behind it.
    const instance = await this.deps.instances.get(app.instanceId);
    if (!instance || instance.deleting) throw conflict('The instance of this app is being deleted', { appId: app.id });
    this.deps.logger.info({ appId: app.id, fqdn: app.fqdn }, 'the app has no container: recreating it');
    return this.deps.service.operate({ instanceId: app.instanceId, userId: null, tokenId: null, ip: null }, app.id, 'recreate');
  }
}
