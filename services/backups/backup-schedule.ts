import type { Clock } from '../core/clock';
import { BerthError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Store } from '../db/store';
import type { BackupFreshness } from './backup-freshness';
import type { BackupService } from './backup-service';
import { CLEAN_BACKUPS_TASK } from './backup-tasks';
import { cleanupDue } from './cleanup-time';
import { BACKUP_CONFIG_SETTING } from './backup-target';

/**
 * Automatic backups: a tenant that has stored a backup configuration gets a box backup (and a cleanup after it)
 * once its newest box backup is older than intervalSecs. Tenants that never configured backups get none, so a
 * box does not fill its data dir unasked. Several processes may run this: the `backup` task refuses a second one
 * per tenant, which makes the check safe to race. Each run also tells admins whose backups stopped succeeding,
 * and starts the daily retention cleanup (CLEANUP_AT in the tenant's time zone) of tenants that have backups.
 */
export class BackupSchedule {
  constructor(private readonly deps: { store: Store; backups: BackupService; freshness: BackupFreshness; clock: Clock; logger: Logger }) {}

  /** Starts what is due; returns the tenants a backup was started for. */
  async runDue(): Promise<string[]> {
    const started: string[] = [];
    for (const instanceId of await this.deps.store.instances.ids()) {
      try {
        const instance = await this.deps.store.instances.get(instanceId);
        if (!instance || instance.blocked || instance.deleting) continue;
        await this.deps.freshness.check(instanceId);
        if (await this.due(instanceId)) {
          await this.deps.backups.startScheduled(instanceId);
          started.push(instanceId);
        } else if (await this.cleanupDue(instanceId)) {
          await this.deps.backups.startScheduledCleanup(instanceId);
        }
      } catch (err) {
        // A backup already running (409) is the expected loser of a race; anything else is worth a line.
        if (!(err instanceof BerthError && err.status === 409)) {
          this.deps.logger.warn({ err: (err as Error).message, instanceId }, 'starting a scheduled backup failed');
        }
      }
    }
    return started;
  }

  /** Once a day in the tenant's time zone, for tenants with backups (a backup's own cleanup counts). */
  private async cleanupDue(instanceId: string): Promise<boolean> {
    const { store } = this.deps;
    if (!(await store.backups.list({ instanceId, page: 1, perPage: 1 })).length) return false;
    const [last] = await store.tasks.list({ instanceId, type: CLEAN_BACKUPS_TASK, page: 1, perPage: 1 });
    const timeZone = (await store.settings.get<string>(instanceId, 'time_zone')) ?? 'UTC';
    return cleanupDue(this.deps.clock(), last ? new Date(last.createdAt) : null, timeZone);
  }

  private async due(instanceId: string): Promise<boolean> {
    const { store } = this.deps;
    const config = await store.settings.get<{ intervalSecs?: number }>(instanceId, BACKUP_CONFIG_SETTING);
    if (!config?.intervalSecs) return false;
    const [newest] = (await store.backups.list({ instanceId, type: 'box', page: 1, perPage: 5 })).filter((b) => b.state !== 'error');
    return !newest || this.deps.clock().getTime() - Date.parse(newest.createdAt) >= config.intervalSecs * 1000;
  }
}
