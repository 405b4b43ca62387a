import type { Clock } from '../core/clock';
import type { InstanceRepo } from '../instances/instance-repo';
import type { SettingsRepo } from '../settings/settings-repo';
import type { BackupRepo } from './backup-repo';
import type { NotificationService } from '../notifications/notification-service';
import { BACKUP_CONFIG_SETTING } from './backup-target';

export const OVERDUE_ALERT = 'backups.overdue';

export interface Overdue {
  /** The newest complete box backup, or null when none ever completed. */
  lastCompleteAt: string | null;
  intervalSecs: number;
}

/**
 * Whether a tenant's backups are keeping up: overdue when no box backup has completed within twice the
 * configured interval (counted from the first attempt when none ever completed). Only tenants that configured
 * backups are judged; the others never asked for any.
 */
export class BackupFreshness {
  constructor(
    private readonly deps: { instances: InstanceRepo; settings: SettingsRepo; backups: BackupRepo; notifications: NotificationService; clock: Clock },
  ) {}

  async overdue(instanceId: string): Promise<Overdue | null> {
    const { settings, backups } = this.deps;
    const config = await settings.get<{ intervalSecs?: number }>(instanceId, BACKUP_CONFIG_SETTING);
    if (!config?.intervalSecs) return null;
    const { lastCompleteAt, firstAt } = await backups.history(instanceId, 'box');
    const since = lastCompleteAt ?? firstAt;
    if (!since) return null; // nothing attempted yet: the schedule starts the first one
    const late = this.deps.clock().getTime() - Date.parse(since) > 2 * config.intervalSecs * 1000;
    return late ? { lastCompleteAt, intervalSecs: config.intervalSecs } : null;
  }

  /** Notifies the tenant's admins when its backups are overdue (one open notification per condition). */
  async check(instanceId: string): Promise<boolean> {
    const overdue = await this.overdue(instanceId);
    // What the schedule just learned is newer than the readiness report's cached count.
    this.counted = undefined;
    if (!overdue) return false;
    const hours = Math.round(overdue.intervalSecs / 3600);
    await this.deps.notifications.notifyAdmins(instanceId, {
      alertKey: OVERDUE_ALERT,
      title: 'Backups are failing',
      message: overdue.lastCompleteAt
        ? `No backup has succeeded since ${overdue.lastCompleteAt}, more than twice the backup interval (${hours} h). Check the backup tasks' logs and the backup configuration.`
        : `No backup has ever succeeded, and the first one was attempted more than twice the backup interval (${hours} h) ago. Check the backup tasks' logs and the backup configuration.`,
    });
    return true;
  }

  /**
   * For the readiness report: how many tenants' backups are overdue. Probes come often and a box may hold many
   * tenants, so the count is recomputed at most once a minute.
   */
  async overdueCount(): Promise<number> {
    const now = this.deps.clock().getTime();
    if (this.counted && now - this.counted.at < COUNT_TTL_MS) return this.counted.count;
    let count = 0;
    for (const instanceId of await this.deps.instances.ids()) if (await this.overdue(instanceId)) count += 1;
    this.counted = { at: now, count };
    return count;
  }

  private counted: { at: number; count: number } | undefined;
}

const COUNT_TTL_MS = 60_000;
