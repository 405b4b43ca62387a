import { AppBackupRunner } from '../../services/backups/app-backup';
import { BackupDrill } from '../../services/backups/backup-drill';
import { BackupFreshness } from '../../services/backups/backup-freshness';
import { BackupRetention } from '../../services/backups/backup-retention';
import { BackupSchedule } from '../../services/backups/backup-schedule';
import { BackupService } from '../../services/backups/backup-service';
import { BACKUP_TASK_TYPES } from '../../services/backups/backup-tasks';
import { BackupTargets } from '../../services/backups/backup-target';
import { BoxBackups } from '../../services/backups/box-backup';
import { BoxRestore } from '../../services/backups/box-restore';
import { backupTaskHandlers } from '../../workers/backup-tasks';
import { scheduleBackups } from '../../workers/backup-schedule';
import { version } from '../version';
import type { Apps } from './apps';
import type { Core } from './core';
import type { Identity } from './identity';
import type { WorkerParts } from './module';
import type { Platform } from './platform';
import type { Tasks } from './tasks';

export type BackupStorage = ReturnType<typeof composeBackupStorage>;
export type Backups = ReturnType<typeof composeBackups>;

/**
 * Where backups go and how an app's data is copied there: built before apps, whose lifecycle backs up and restores
 * through `AppBackups` (this runner), and before the box restore the cloudron module starts.
 */
export function composeBackupStorage({ config, store, clock }: Core, { runtime }: Platform) {
  const targets = new BackupTargets({ settings: store.settings, defaultFolder: config.backupRoots[0] });
  return {
    targets,
    appBackups: new AppBackupRunner({ backups: store.backups, runtime, targets, clock }),
    limits: { roots: config.backupRoots, endpoints: config.backupEndpoints },
  };
}

/** Box backups, retention, verification, drills, the box restore task and the ten-minute schedule. */
export function composeBackups(
  { store, clock, logger }: Core,
  { eventlog, notifications }: Identity,
  { types, tasks }: Tasks,
  { runtime }: Platform,
  { targets, appBackups, limits }: BackupStorage,
  { lifecycle }: Apps,
) {
  types.add(...BACKUP_TASK_TYPES);
  const backups = new BackupService({ backups: store.backups, apps: store.apps, tasks, targets, eventlog, clock, limits });
  const freshness = new BackupFreshness({ instances: store.instances, settings: store.settings, backups: store.backups, notifications, clock });
  const schedule = new BackupSchedule({
    instances: store.instances, settings: store.settings, tasks: store.tasks, backupRepo: store.backups, backups, freshness, clock, logger,
  });
  const workers: WorkerParts = {
    handlers: backupTaskHandlers({
      box: new BoxBackups({ apps: store.apps, backups: store.backups, tenantDump: store.tenantDump, appBackups, targets, clock, version }),
      retention: new BackupRetention({ backups: store.backups, targets, clock }),
      drill: new BackupDrill({ backups: store.backups, appBackups, runtime, targets, notifications }),
      restore: new BoxRestore({ settings: store.settings, appRepo: store.apps, transactor: store, targets, apps: lifecycle, eventlog, clock }),
    }),
    crons: [() => scheduleBackups(schedule, logger)],
  };
  return { backups, freshness, schedule, workers };
}
