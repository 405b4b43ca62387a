import { emptyJob } from './job-spec';
import type { JobSources, SyncReport } from './job-sources';

/** An app's Cloudron `scheduler` addon, as the apps module stores it. */
export interface ScheduledApp {
  appId: string;
  instanceId: string;
  /** The app's container: its jobs exec there. */
  container: string;
  jobs: Record<string, { schedule: string; command: string }>;
}

/** The apps module's side (an adapter in the composition root): the scheduler never reads apps' tables. */
export interface AppSchedules {
  get(appId: string): Promise<ScheduledApp | undefined>;
  all(): Promise<ScheduledApp[]>;
}

/**
 * An app's `scheduler` addon as exec jobs in its own container, named `<appId>.<job>` so two apps' jobs never
 * collide: made when the app's task (install, update, restore…) ends, changed when its manifest changes, removed
 * when the app is gone. They belong to the app's tenant and source, so the API may disable them, not delete them.
 */
export class AppJobs {
  constructor(private readonly deps: { apps: AppSchedules; sources: JobSources }) {}

  async sync(appId: string): Promise<SyncReport> {
    const app = await this.deps.apps.get(appId);
    return this.deps.sources.sync('manifest', appId, app ? entries(app) : []);
  }

  /** Every app at start (a process that died between an app's task and its hook left them behind). */
  async syncAll(): Promise<void> {
    const apps = await this.deps.apps.all();
    const present = new Set(apps.map((app) => app.appId));
    for (const app of apps) await this.deps.sources.sync('manifest', app.appId, entries(app));
    for (const gone of (await this.deps.sources.sourceKeys('manifest')).filter((key) => !present.has(key))) {
      await this.deps.sources.sync('manifest', gone, []);
    }
  }
}

function entries(app: ScheduledApp) {
  return Object.entries(app.jobs).map(([name, job]) => {
    const spec = emptyJob(`${app.appId}.${name}`, 'exec', { kind: 'manifest', appId: app.appId });
    spec.schedule = job.schedule;
    spec.command = job.command;
    spec.container = app.container;
    return { instanceId: app.instanceId, operator: false, spec };
  });
}
