import type { Logger } from '../core/logger';
import type { App, AppRepo } from './app-repo';
import type { AppRuntime, ManagedContainer } from './app-runtime';
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
 * are reported, and removed only when asked.
 */
export class AppReconciler {
  constructor(private readonly deps: { apps: AppRepo; runtime: AppRuntime; service: AppService; logger: Logger }) {}

  async reconcile(options: { removeOrphans: boolean }): Promise<ReconcileReport> {
    const containers = await this.deps.runtime.listManaged();
    const apps = await this.deps.apps.listInStates([...INSTALLATION_STATES]);
    const report: ReconcileReport = { recreated: [], orphans: [], removed: [] };
    const withContainer = new Set(containers.map((c) => c.appId));
    for (const app of apps.filter((a) => a.installationState === 'installed' && !withContainer.has(a.id))) {
      report.recreated.push({ appId: app.id, taskId: await this.recreate(app) });
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
  recreate(app: App): Promise<number> {
    this.deps.logger.info({ appId: app.id, fqdn: app.fqdn }, 'the app has no container: recreating it');
    return this.deps.service.operate({ instanceId: app.instanceId, userId: null, tokenId: null, ip: null }, app.id, 'recreate');
  }
}
