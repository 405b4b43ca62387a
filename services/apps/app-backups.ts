import type { TaskContext } from '../tasks/task-handler';
import type { App } from './app-repo';
import type { Manifest } from './manifest';

/** What an app backup's config.json holds: what the app is made from, to put it back as it was. */
export interface AppSnapshot {
  manifest: Manifest;
  appStoreId: string | null;
  env: Record<string, string>;
  memoryLimit: number;
  label: string | null;
  tags: string[];
  fqdn: string;
  portBindings: App['portBindings'];
}

/** A checked backup, ready to be put back: what the app task needs of it. The backups module's plan carries more. */
export interface AppRestorePlan {
  backup: { id: string };
  snapshot: AppSnapshot;
}

/**
 * What app tasks ask of backups (`backup`, `restore`, and `install` as a clone). Apps own this interface; the
 * backups module implements it (`AppBackupRunner`, services/backups/app-backup.ts).
 */
export interface AppBackups {
  /** Writes the app's backup; the app is stopped while its data is copied and started again whatever happens. */
  backupApp(app: App, ctx: TaskContext): Promise<{ id: string }>;
  /** Reads and checks the whole backup (of app `ofApp`, the app itself unless cloning) before anything is touched. */
  prepareRestore(app: App, backupId: string, ofApp?: string): Promise<AppRestorePlan>;
  /** Unpacks the data into the (new, empty) volume. `plan` is one this object's `prepareRestore` returned. */
  restoreData(app: App, plan: AppRestorePlan, volume: string): Promise<void>;
}
