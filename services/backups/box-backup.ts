import type { Clock } from '../core/clock';
import type { AppRepo } from '../apps/app-repo';
import type { TenantDumpRepo } from './tenant-dump-repo';
import type { TaskContext } from '../tasks/task-handler';
import { backupId, type AppBackupRunner } from './app-backup';
import type { Backup, BackupRepo } from './backup-repo';
import { storeFile } from './backup-files';
import type { BackupTargets } from './backup-target';
import { writeIndex } from './box-backup-index';

export interface BoxBackupDeps {
  apps: AppRepo;
  backups: BackupRepo;
  tenantDump: TenantDumpRepo;
  appBackups: AppBackupRunner;
  targets: BackupTargets;
  clock: Clock;
  version: string;
}

/**
 * A tenant's box backup: a backup of every app with enableBackup, then one snapshot of the tenant's rows
 * (`db.json.gz`), recorded with the app backups it depends on.
 */
export class BoxBackups {
  constructor(private readonly deps: BoxBackupDeps) {}

  async create(instanceId: string, ctx: TaskContext): Promise<{ backupId: string; dependsOn: string[] }> {
    const { backups, tenantDump, targets } = this.deps;
    const config = await targets.config(instanceId);
    const storage = targets.storage(config, instanceId);
    const now = this.now();
    const box: Backup = {
      id: backupId('box', now), instanceId, type: 'box', identifier: 'box', state: 'creating', format: config.format, encrypted: config.password !== null,
      version: this.deps.version, remotePath: '', files: [], dependsOn: [], manifest: null, size: 0, preserveSecs: 0, label: '', error: null, createdAt: now, updatedAt: now,
    };
    box.remotePath = box.id;
    await backups.insert(box);
    try {
      const apps = await this.backUpApps(instanceId, ctx);
      const dependsOn = apps.map((a) => a.id);
      ctx.progress(90, 'Saving the database snapshot');
      const dump = await tenantDump.dump(instanceId);
      const file = await storeFile(storage, box.remotePath, 'db.json.gz', Buffer.from(JSON.stringify(dump)), { gzip: true, password: config.password });
      const index = await writeIndex(storage, box.remotePath, {
        backupId: box.id, instanceId: targets.folder(config, instanceId), version: box.version, createdAt: box.createdAt, encrypted: box.encrypted, files: [file],
        apps: apps.map((a) => ({ backupId: a.id, appId: a.identifier, files: a.files })),
      }, config.password);
      const files = [file, index];
      await backups.update(box.id, { state: 'normal', files, dependsOn, size: file.size + index.size }, this.now());
      ctx.progress(100, 'Done');
      ctx.log(`box backup ${box.id}: ${dependsOn.length} app backups`);
      return { backupId: box.id, dependsOn };
    } catch (err) {
      await backups.update(box.id, { state: 'error', error: (err as Error).message }, this.now()).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Each app is held in `pending_backup` while it is copied (the health monitor and other operations keep
   * away), and put back to `installed` afterwards. An app busy with another operation is skipped.
   */
  private async backUpApps(instanceId: string, ctx: TaskContext): Promise<Backup[]> {
    const { apps: appRepo } = this.deps;
    const apps = (await appRepo.list(instanceId)).filter((a) => a.enableBackup);
    const done: Backup[] = [];
    for (const [index, app] of apps.entries()) {
      ctx.progress(5 + Math.round((index / Math.max(apps.length, 1)) * 80), `Backing up ${app.fqdn}`);
      const held = await appRepo.update(app.id, { installationState: 'pending_backup', taskId: ctx.task.id }, this.now(), ['installed']);
      if (!held) {
        ctx.log(`skipping ${app.fqdn}: it is ${app.installationState}`);
        continue;
      }
      try {
        done.push(await this.deps.appBackups.backupApp(app, ctx));
      } finally {
        await appRepo.update(app.id, { installationState: 'installed', taskId: null }, this.now(), ['pending_backup']);
      }
    }
    return done;
  }

  private now() {
    return this.deps.clock().toISOString();
  }
}
