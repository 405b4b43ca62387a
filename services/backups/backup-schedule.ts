import type { Clock } from '../core/clock';
import { BerthError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Store } from '../db/store';
import type { BackupFreshness } from './backup-freshness';
import type { BackupService } from './backup-service';
import { BACKUP_CONFIG_SETTING } from './backup-target';

/**
 * Automatic backups: a tenant that has stored a backup configuration gets a box backup (and a cleanup after it)
 * once its newest box backup is older than intervalSecs. Tenants that never configured backups get none, so a
 * box does not fill its data dir unasked. Several processes may run this: the `backup` task refuses a second one
 * per tenant, which makes the check safe to race. Each run also tells admins whose backups stopped succeeding.
 */
export class BackupSchedule {
  constructor(private readonly deps: { store: Store; backups: BackupService; freshness: BackupFreshness; clock: Clock; logger: Logger }) {}

  /** Starts what is due; returns the tenants a backup was started for. */
  async runDue(): Promise<string[]> {
    const started: string[] = [];
    for (const instanceId of await this.deps.store.instances.ids()) {
      try {
        await this.deps.freshness.check(instanceId);
        if (await this.due(instanceId)) {
          await this.deps.backups.startScheduled(instanceId);
          started.push(instanceId);
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

  private async due(instanceId: string): Promise<boolean> {
    const { store } = this.deps;
    const instance = await store.instances.get(instanceId);
    if (!instance || instance.blocked || instance.deleting) return false;
    const config = await store.settings.get<{ intervalSecs?: number }>(instanceId, BACKUP_CONFIG_SETTING);
    if (!config?.intervalSecs) return false;
    const [newest] = (await store.backups.list({ instanceId, type: 'box', page: 1, perPage: 5 })).filter((b) => b.state !== 'error');
    return !newest || this.deps.clock().getTime() - Date.parse(newest.createdAt) >= config.intervalSecs * 1000;
  }
}
