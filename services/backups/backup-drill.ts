import { randomBytes } from 'node:crypto';
import type { App } from '../apps/app-repo';
import type { AppRuntime } from '../apps/app-runtime';
import { LABELS } from '../apps/app-runtime';
import type { Manifest } from '../apps/manifest';
import type { NotificationService } from '../notifications/notification-service';
import type { TaskContext } from '../tasks/task-handler';
import { DATA_DIR, type AppBackupRunner } from './app-backup';
import { collect, loadFile } from './backup-files';
import type { Backup, BackupRepo } from './backup-repo';
import type { BackupTargets } from './backup-target';
import { MAX_DUMP_BYTES } from './box-restore';
import { compareListings, tarLister } from './tar-listing';

export const DRILL_ALERT = 'backups.drill';

export interface DrillResult {
  backupId: string;
  apps: number;
  files: number;
  bytes: number;
}

export interface BackupDrillDeps {
  backups: BackupRepo;
  appBackups: AppBackupRunner;
  runtime: AppRuntime;
  targets: BackupTargets;
  notifications: Pick<NotificationService, 'notifyAdmins'>;
}

/**
 * The restore drill: a backup is restored for real into a scratch place and compared with what it holds, so a
 * backup is known to restore before the day it must. An app backup's data goes through the restore path itself
 * (read and checked whole, unpacked by the engine into a new scratch volume), then the volume is read back and
 * every entry (type, mode, owner, size, SHA-256) compared with the backup's. A box backup's database snapshot is
 * decrypted and parsed, and each app backup it depends on is drilled. Nothing of the live apps is touched; the
 * scratch volume is removed whatever happens. A failed drill notifies the tenant's admins.
 */
export class BackupDrill {
  constructor(private readonly deps: BackupDrillDeps) {}

  /** Drills `backupId`, or the tenant's newest complete box backup (else its newest complete app backup). */
  async drill(instanceId: string, backupId: string | undefined, ctx: TaskContext): Promise<DrillResult> {
    const backup = await this.choose(instanceId, backupId);
    try {
      const result: DrillResult = { backupId: backup.id, apps: 0, files: 0, bytes: 0 };
      const appBackupIds = backup.type === 'box' ? await this.checkSnapshot(backup, ctx) : [backup.id];
      for (const [index, id] of appBackupIds.entries()) {
        ctx.progress(10 + Math.round((index / appBackupIds.length) * 85), `Restoring app backup ${id} into a scratch volume`);
        const app = await this.drillApp(instanceId, id, ctx);
        result.apps += 1;
        result.files += app.files;
        result.bytes += app.bytes;
      }
      ctx.progress(100, 'Done');
      ctx.log(`drill of ${backup.id} passed: ${result.apps} app backups, ${result.files} files, ${result.bytes} bytes restored and compared`);
      return result;
    } catch (err) {
      await this.deps.notifications.notifyAdmins(instanceId, {
        alertKey: DRILL_ALERT,
        title: `The restore drill of backup ${backup.id} failed`,
        message: `Restoring backup ${backup.id} into a scratch place failed: ${(err as Error).message}. Make a new backup, and verify or drill it.`,
      });
      throw err;
    }
  }

  private async choose(instanceId: string, backupId: string | undefined): Promise<Backup> {
    if (backupId) {
      const backup = await this.deps.backups.get(instanceId, backupId);
      if (!backup) throw new Error(`Backup ${backupId} no longer exists`);
      if (backup.state !== 'normal') throw new Error(`Backup ${backupId} is not complete (state ${backup.state})`);
      return backup;
    }
    // The newest complete box backup (it covers the others), else the newest complete app backup.
    const complete = (await this.deps.backups.listAll(instanceId)).filter((b) => b.state === 'normal');
    const newest = complete.find((b) => b.type === 'box') ?? complete[0];
    if (!newest) throw new Error('There is no complete backup to drill');
    return newest;
  }

  /** Decrypts and parses the box backup's database snapshot; returns the app backups it depends on. */
  private async checkSnapshot(backup: Backup, ctx: TaskContext): Promise<string[]> {
    const config = await this.deps.targets.config(backup.instanceId);
    const storage = this.deps.targets.storage(config, backup.instanceId);
    const file = backup.files.find((f) => f.name.startsWith('db.json.gz'));
    if (!file) throw new Error(`Backup ${backup.id} has no database snapshot`);
    const text = collect(MAX_DUMP_BYTES);
    await loadFile(storage, backup.remotePath, file, text.sink, { gzip: true, password: config.password });
    let dump: Record<string, unknown[]>;
    try {
      dump = JSON.parse(text.text()) as Record<string, unknown[]>;
    } catch {
      throw new Error(`${file.name} of backup ${backup.id} is not a valid database snapshot`);
    }
    const instance = dump.instances?.[0] as { id?: string } | undefined;
    if (instance?.id !== backup.instanceId) throw new Error(`${file.name} of backup ${backup.id} is not a snapshot of this tenant`);
    ctx.log(`database snapshot: ${Object.entries(dump).map(([table, rows]) => `${table} ${rows.length}`).join(', ')}`);
    return backup.dependsOn;
  }

  private async drillApp(instanceId: string, backupId: string, ctx: TaskContext): Promise<{ files: number; bytes: number }> {
    const { appBackups, runtime } = this.deps;
    const backup = await this.deps.backups.get(instanceId, backupId);
    if (!backup) throw new Error(`App backup ${backupId} no longer exists`);
    // The app may be gone since: the backup carries what a restore needs.
    const app = { id: backup.identifier, instanceId, manifest: backup.manifest as Manifest } as App;
    const plan = await appBackups.prepareRestore(app, backupId);
    const wanted = await appBackups.dataListing(plan);
    if (!wanted) {
      ctx.log(`${backupId}: configuration only (the app keeps no data), read and checked`);
      return { files: 0, bytes: 0 };
    }
    const image = plan.snapshot.manifest.dockerImage;
    await runtime.ensureImage(image, () => undefined);
    const labels = { [LABELS.instance]: instanceId, 'io.berth.drill-of': backupId };
    const volume = `berth-drill-${randomBytes(6).toString('hex')}`;
    await runtime.ensureVolume(volume, labels);
    try {
      await appBackups.restoreData({ ...app, manifest: plan.snapshot.manifest }, plan, volume);
      const restored = tarLister();
      await runtime.readVolume({ volume, image, mountPath: DATA_DIR, path: DATA_DIR, labels }, restored.sink);
      const problems = compareListings(wanted, restored.entries());
      if (problems.length) throw new Error(`what app backup ${backupId} restores differs from what it holds: ${problems.join('; ')}`);
    } finally {
      await runtime.removeVolume(volume).catch((err: Error) => ctx.log(`scratch volume ${volume} not removed: ${err.message}`));
    }
    const files = [...wanted.values()].filter((e) => e.type === 'file');
    const bytes = files.reduce((sum, e) => sum + e.size, 0);
    ctx.log(`${backupId}: ${wanted.size} entries (${files.length} files, ${bytes} bytes) restored into a scratch volume and identical`);
    return { files: files.length, bytes };
  }
}
