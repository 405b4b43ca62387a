import type { Clock } from '../core/clock';
import { BerthError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { InstanceRepo } from '../instances/instance-repo';
import type { SettingsRepo } from '../settings/settings-repo';
import type { TaskRepo } from '../tasks/task-repo';
import type { BackupRepo } from './backup-repo';
import type { BackupFreshness } from './backup-freshness';
import type { BackupService } from './backup-service';
import { CLEAN_BACKUPS_TASK } from './backup-tasks';
import { cleanupDue } from './cleanup-time';
import { BACKUP_CONFIG_SETTING } from './backup-target';
import { DEFAULT_TIME_ZONE, TIME_ZONE_SETTING } from '../settings/settings-service';

/**
 * Automatic backups: a tenant that has stored a backup configuration gets a box backup (and a cleanup after it)
 * once its newest box backup is older than intervalSecs. Tenants that never configured backups get none, so a
 * box does not fill its data dir unasked. Several processes may run this: the `backup` task refuses a second one
 * per tenant, which makes the check safe to race. Each run also tells admins whose backups stopped succeeding,
 * and starts the daily retention cleanup (CLEANUP_AT in the tenant's time zone) of tenants that have backups.
 */
export class BackupSchedule {
  constructor(
    private readonly deps: {
      instances: InstanceRepo;
      settings: SettingsRepo;
      tasks: TaskRepo;
      backupRepo: BackupRepo;
      backups: BackupService;
      freshness: BackupFreshness;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** Starts what is due; returns the tenants a backup was started for. */
  async runDue(): Promise<string[]> {
    const started: string[] = [];
    for (const instanceId of await this.deps.instances.ids()) {
      try {
        const instance = await this.deps.instances.get(instanceId);
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
    const { backupRepo, tasks, settings } = this.deps;
    if (!(await backupRepo.list({ instanceId, page: 1, perPage: 1 })).length) return false;
    const [last] = await tasks.list({ instanceId, type: CLEAN_BACKUPS_TASK, page: 1, perPage: 1 });
    const timeZone = (await settings.get<string>(instanceId, TIME_ZONE_SETTING)) ?? DEFAULT_TIME_ZONE;
    return cleanupDue(this.deps.clock(), last ? new Date(last.createdAt) : null, timeZone);
  }

  private async due(instanceId: string): Promise<boolean> {
    const { backupRepo, settings } = this.deps;
    const config = await settings.get<{ intervalSecs?: number }>(instanceId, BACKUP_CONFIG_SETTING);
    if (!config?.intervalSecs) return false;
    const [newest] = (await backupRepo.list({ instanceId, type: 'box', page: 1, perPage: 5 })).filter((b) => b.state !== 'error');
    return !newest || this.deps.clock().getTime() - Date.parse(newest.createdAt) >= config.intervalSecs * 1000;
  }
}
