import type { App, AppRepo } from '../../services/apps/app-repo';
import { containerName } from '../../services/apps/container-spec';
import type { AppSchedules, ScheduledApp } from '../../services/scheduler/app-jobs';

/** Apps that hold their jobs: every app but one being uninstalled (its jobs go with it). */
const HOLDING = (app: App) => app.installationState !== 'pending_uninstall';

function scheduled(app: App): ScheduledApp {
  const addon = (app.manifest.addons?.scheduler ?? {}) as ScheduledApp['jobs'];
  return { appId: app.id, instanceId: app.instanceId, container: containerName(app.id), jobs: addon };
}

/** The apps module's manifests as the scheduler reads them (services/scheduler/app-jobs.ts). */
export function appSchedules(apps: Pick<AppRepo, 'getAny' | 'listInStates'>): AppSchedules {
  return {
    async get(appId) {
      const app = await apps.getAny(appId);
      return app && HOLDING(app) ? scheduled(app) : undefined;
    },
    async all() {
      const all = await apps.listInStates(['installed', 'error', 'pending_configure', 'pending_update', 'pending_start', 'pending_stop', 'pending_restart', 'pending_recreate', 'pending_backup', 'pending_restore', 'pending_install']);
      return all.filter(HOLDING).map(scheduled);
    },
  };
}
