import type { Clock } from '../core/clock';
import { isUniqueViolation } from '../db/database';
import type { Transactor } from '../db/transactor';
import type { AppLifecycle } from '../apps/app-lifecycle';
import type { AppRepo } from '../apps/app-repo';
import type { SettingsRepo } from '../settings/settings-repo';
import type { EventlogService } from '../eventlog/eventlog-service';
import type { TaskContext } from '../tasks/task-handler';
import { BackupIntegrityError } from './backup-crypto';
import type { BackupConfig } from './backup-config';
import { collect, discard, loadFile } from './backup-files';
import type { BackupFile } from './backup-repo';
import type { BackupStorage } from './backup-storage';
import { BACKUP_CONFIG_SETTING, type BackupTargets } from './backup-target';
import { readIndex, type BoxBackupIndex } from './box-backup-index';
import type { TenantDump, TenantDumpRepo } from './tenant-dump-repo';

/** The tenant's restore request and its outcome, read by `GET /cloudron/status`; kept through the rebuild. */
export const RESTORE_SETTING = 'restore';
/** CloudronService's once-only activation latch: a restore only runs on a box that is not activated. */
const ACTIVATED_SETTING = 'activated';
/** db.json.gz is read whole into memory to be parsed; a tenant dump is far smaller than this. */
export const MAX_DUMP_BYTES = 1024 * 1024 * 1024;

/** What `POST /cloudron/restore` stores for the task, and what the task leaves for the status. */
export interface RestoreRequest {
  /** The old box's folder on the target (its tenant id) and the box backup's id in it. */
  folder: string;
  backupId: string;
  version: string;
  /** With the password; dropped when the task ends, and stored as the box's backup configuration on success. */
  config: BackupConfig | null;
  /** Set by the task when it starts. */
  taskId: number | null;
  message: string;
  errorMessage: string | null;
  /**
   * Written in the rebuild's own transaction: the rows are back and these apps remain to be restored (their
   * app backup, if the box backup has one). A run of the task after a crash resumes from here.
   */
  rebuilt?: { apps: Array<{ appId: string; fqdn: string; backupId: string | null }> };
}

/** A backup read whole and found sound: the rows to put back and the app backups to restore. */
interface CheckedBackup {
  index: BoxBackupIndex;
  indexFile: BackupFile;
  dump: TenantDump;
}

export interface BoxRestoreDeps {
  settings: SettingsRepo;
  appRepo: AppRepo;
  /** The rebuild: the tenant's rows replaced and the restore's state written, together or not at all. */
  transactor: Transactor<{ settings: SettingsRepo; tenantDump: TenantDumpRepo }>;
  targets: BackupTargets;
  apps: AppLifecycle;
  eventlog: EventlogService;
  clock: Clock;
}

/**
 * Rebuilds a tenant from a box backup (task `restore`): every file is read and checked first, so a wrong
 * password or a damaged backup fails with nothing written; then the tenant's rows are replaced in one
 * transaction, the backup configuration stored, and every app restored from its app backup.
 */
export class BoxRestore {
  constructor(private readonly deps: BoxRestoreDeps) {}

  async run(instanceId: string, ctx: TaskContext): Promise<{ backupId: string; apps: number; failedApps: string[] }> {
    const { settings } = this.deps;
    const request = await settings.get<RestoreRequest>(instanceId, RESTORE_SETTING);
    if (!request?.config) throw new Error('No restore was requested for this box');
    await settings.set(instanceId, RESTORE_SETTING, { ...request, taskId: ctx.task.id });
    const config = request.config;

    // A run after a crash that came after the rebuild goes on with the apps; before it, nothing was written.
    let rebuilt = request.rebuilt;
    if (rebuilt) ctx.log(`resuming: the records are back; ${rebuilt.apps.length} app(s) to restore`);
    else {
      try {
        const checked = await this.check(this.deps.targets.storage(config, instanceId), request, config.password, ctx);
        ctx.progress(35, 'Rebuilding users, groups, settings and apps');
        rebuilt = await this.rebuild(instanceId, request, checked, ctx);
      } catch (err) {
        const message = `The restore failed, nothing was changed: ${(err as Error).message}`;
        await this.end(instanceId, request, ctx.task.id, { message: '', errorMessage: message });
        throw new Error(message, { cause: err });
      }
    }

    const failedApps = await this.restoreApps(instanceId, rebuilt.apps, ctx);
    const summary = `Restored backup ${request.folder}/${request.backupId}`;
    await this.end(instanceId, request, ctx.task.id, {
      message: summary,
      errorMessage: failedApps.length ? `The box is restored, but ${failedApps.length} app(s) failed: ${failedApps.join('; ')}` : null,
    });
    await this.deps.eventlog.record({ instanceId, userId: null, tokenId: null, ip: null }, 'cloudron.restore', request.backupId, {
      folder: request.folder, apps: rebuilt.apps.length, failedApps: failedApps.length,
    });
    ctx.progress(100, summary);
    return { backupId: request.backupId, apps: rebuilt.apps.length, failedApps };
  }

  /** The index (the password, the version), db.json.gz and every app backup's files, each against its checksum. */
  private async check(storage: BackupStorage, request: RestoreRequest, password: string | null, ctx: TaskContext): Promise<CheckedBackup> {
    ctx.progress(5, `Reading backup ${request.folder}/${request.backupId}`);
    const read = await readIndex(storage, request.backupId, password);
    if (!read) throw new BackupIntegrityError(`There is no box backup ${request.folder}/${request.backupId} on the target`);
    const { index } = read;
    if (index.backupId !== request.backupId) throw new BackupIntegrityError(`The index in ${request.backupId} names backup ${index.backupId}`);
    if (index.version !== request.version) {
      throw new BackupIntegrityError(`Backup ${request.backupId} was made by Berth ${index.version}, not ${request.version}: give the version the backups list shows`);
    }
    const dbFile = index.files.find((f) => f.name.startsWith('db.json.gz'));
    if (!dbFile) throw new BackupIntegrityError(`Backup ${request.backupId} has no db.json.gz`);
    ctx.progress(10, 'Checking the database snapshot');
    const text = collect(MAX_DUMP_BYTES);
    await loadFile(storage, request.backupId, dbFile, text.sink, { gzip: true, password });
    let dump: TenantDump;
    try {
      dump = JSON.parse(text.text()) as TenantDump;
    } catch {
      throw new BackupIntegrityError(`${dbFile.name} is corrupted: it is not valid JSON`);
    }
    for (const [n, app] of index.apps.entries()) {
      ctx.progress(15 + Math.round((n / index.apps.length) * 20), `Checking app backup ${app.backupId}`);
      for (const file of app.files) {
        await loadFile(storage, app.backupId, file, discard(), { gzip: file.name.startsWith('data.tar.gz'), password });
      }
    }
    return { index, indexFile: read.file, dump };
  }

  /**
   * One transaction: the fresh tenant's rows out, the backup's in (the old tenant id mapped to this one), and
   * the backup configuration that opened it, so the box keeps backing up to the same folder.
   */
  private async rebuild(instanceId: string, request: RestoreRequest, checked: CheckedBackup, ctx: TaskContext): Promise<NonNullable<RestoreRequest['rebuilt']>> {
    const dump = prepareDump(checked, ctx.task.id);
    const rebuilt = {
      apps: (dump.apps ?? []).map((row) => ({
        appId: String(row.id), fqdn: String(row.fqdn), backupId: checked.index.apps.find((a) => a.appId === String(row.id))?.backupId ?? null,
      })),
    };
    try {
      await this.deps.transactor.transaction(async (repos) => {
        if (await repos.settings.get(instanceId, ACTIVATED_SETTING)) throw new Error('The box was activated while the backup was being checked');
        await repos.tenantDump.replace(instanceId, dump, [RESTORE_SETTING]);
        await repos.settings.set(instanceId, BACKUP_CONFIG_SETTING, request.config);
        await repos.settings.set(instanceId, RESTORE_SETTING, { ...request, taskId: ctx.task.id, rebuilt });
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new Error(`records of the backup already exist on this machine (${(err as Error).message}); restore onto a box that does not hold the old box's tenant`, { cause: err });
    }
    ctx.log(`restored ${(dump.users ?? []).length} users, ${(dump.groups ?? []).length} groups, ${(dump.apps ?? []).length} apps and ${(dump.backups ?? []).length} backup records`);
    return rebuilt;
  }

  /**
   * Each app through the ordinary lifecycle: from its app backup when the box backup has one (new volume filled
   * from it, container recreated), else installed afresh. One app failing leaves it in `error` and the rest go on.
   */
  private async restoreApps(instanceId: string, apps: NonNullable<RestoreRequest['rebuilt']>['apps'], ctx: TaskContext): Promise<string[]> {
    const failed: string[] = [];
    for (const [n, { appId, fqdn, backupId }] of apps.entries()) {
      // After a crash, an app the first run finished is left as it is (each step converges anyway).
      const row = await this.deps.appRepo.get(instanceId, appId);
      if (row && row.installationState !== 'pending_restore' && row.installationState !== 'pending_install') continue;
      const from = 40 + Math.round((n / apps.length) * 58);
      const span = Math.round(58 / apps.length);
      ctx.progress(from, `Restoring ${fqdn}`);
      const child: TaskContext = {
        task: ctx.task,
        signal: ctx.signal,
        progress: (percent, message) => ctx.progress(from + Math.round((percent / 100) * span), message && `${fqdn}: ${message}`),
        log: (line) => ctx.log(`${fqdn}: ${line}`),
      };
      try {
        await this.deps.apps.run(backupId ? { appId, op: 'restore', backupId } : { appId, op: 'install' }, child);
      } catch (err) {
        failed.push(`${fqdn}: ${(err as Error).message}`);
        ctx.log(`${fqdn} failed: ${(err as Error).message}`);
      }
    }
    return failed;
  }

  /** The request's password goes; what happened stays for the status. */
  private async end(instanceId: string, request: RestoreRequest, taskId: number, outcome: { message: string; errorMessage: string | null }) {
    await this.deps.settings.set(instanceId, RESTORE_SETTING, { ...request, config: null, taskId, ...outcome });
  }
}

/**
 * The dump as it goes back: apps wait for their restore (no task, no port of the old machine, no old health),
 * and the box backup's own row, dumped while it was still being made, gets the files the index lists.
 */
function prepareDump(checked: CheckedBackup, taskId: number): TenantDump {
  const { index, indexFile, dump } = checked;
  const withBackup = new Set(index.apps.map((a) => a.appId));
  return {
    ...dump,
    apps: (dump.apps ?? []).map((row) => ({
      ...row, installation_state: withBackup.has(String(row.id)) ? 'pending_restore' : 'pending_install', task_id: taskId, http_port: null, health: null, health_time: null, error: null,
    })),
    backups: (dump.backups ?? []).map((row) => (row.id !== index.backupId ? row : {
      ...row, state: 'normal', error: null, files: JSON.stringify([...index.files, indexFile]), depends_on: JSON.stringify(index.apps.map((a) => a.backupId)),
      size: [...index.files, indexFile].reduce((sum, f) => sum + f.size, 0),
    })),
  };
}
