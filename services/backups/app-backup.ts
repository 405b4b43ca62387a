import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Clock } from '../core/clock';
import type { App } from '../apps/app-repo';
import type { AppRuntime } from '../apps/app-runtime';
import { LABELS } from '../apps/app-runtime';
import type { Manifest } from '../apps/manifest';
import type { TaskContext } from '../tasks/task-registry';
import type { Backup, BackupFile, BackupRepo } from './backup-repo';
import { collect, discard, loadFile, storeFile } from './backup-files';
import type { BackupStorage } from './backup-storage';
import { BackupIntegrityError } from './backup-crypto';
import type { BackupTargets } from './backup-target';
import { tarLister, type ListedEntry } from './tar-listing';

export const DATA_DIR = '/app/data';
const CONFIG_FILE = 'config.json';
const DATA_FILE = 'data.tar.gz';

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

/** A checked backup, ready to be put back: every file was read whole, decrypted and matched its checksum. */
export interface RestorePlan {
  backup: Backup;
  snapshot: AppSnapshot;
  storage: BackupStorage;
  password: string | null;
}

export interface AppBackupDeps {
  backups: BackupRepo;
  runtime: AppRuntime;
  targets: BackupTargets;
  clock: Clock;
}

/** Backing up and restoring one app: its config and manifest, and the contents of its data volume. */
export class AppBackups {
  constructor(private readonly deps: AppBackupDeps) {}

  /**
   * Writes config.json and a gzipped tar of /app/data to the target. A running app is stopped while its data
   * is copied, so the copy is consistent, and started again whatever happens.
   */
  async backupApp(app: App, ctx: TaskContext): Promise<Backup> {
    const { runtime } = this.deps;
    const config = await this.deps.targets.config(app.instanceId);
    const storage = this.deps.targets.storage(config, app.instanceId);
    const backup = await this.start(app, config.password !== null);
    try {
      const files: BackupFile[] = [];
      files.push(await storeFile(storage, backup.remotePath, CONFIG_FILE, Buffer.from(JSON.stringify(snapshotOf(app), null, 2)), { gzip: false, password: config.password }));
      if (app.manifest.addons?.localstorage) {
        const container = await runtime.inspect(app.id);
        if (!container) throw new Error('The app has no container, so its data cannot be copied; repair the app first');
        if (container.running) {
          ctx.log(`stopping ${app.fqdn} for a consistent copy of its data`);
          await runtime.stop(container.id);
        }
        try {
          const archive = await runtime.archive(app.id, DATA_DIR);
          if (!archive) throw new Error('The engine gave no archive of the app data');
          files.push(await storeFile(storage, backup.remotePath, DATA_FILE, archive, { gzip: true, password: config.password }));
        } finally {
          if (container.running) {
            await runtime.start(container.id);
            ctx.log(`started ${app.fqdn} again`);
          }
        }
      }
      const size = files.reduce((sum, f) => sum + f.size, 0);
      await this.deps.backups.update(backup.id, { state: 'normal', files, size }, this.now());
      ctx.log(`backup ${backup.id} of ${app.fqdn}: ${files.map((f) => `${f.name} ${f.size} bytes sha256 ${f.sha256.slice(0, 12)}…`).join(', ')}`);
      return { ...backup, state: 'normal', files, size };
    } catch (err) {
      await this.deps.backups.update(backup.id, { state: 'error', error: (err as Error).message }, this.now()).catch(() => undefined);
      await storage.removeDir(backup.remotePath).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Reads every file of the backup whole (decrypting and unpacking into nothing) before anything of the app is
   * touched: a wrong password, a damaged or a cut file fails here, with the app as it was.
   */
  async prepareRestore(app: App, backupId: string, ofApp = app.id): Promise<RestorePlan> {
    const backup = await this.deps.backups.get(app.instanceId, backupId);
    if (!backup || backup.type !== 'app' || backup.identifier !== ofApp) throw new BackupIntegrityError(`Backup ${backupId} is not a backup of app ${ofApp}`);
    if (backup.state !== 'normal') throw new BackupIntegrityError(`Backup ${backupId} is not complete (state ${backup.state})`);
    const config = await this.deps.targets.config(app.instanceId);
    const storage = this.deps.targets.storage(config, app.instanceId);
    const plan = { backup, storage, password: config.password };
    const configFile = this.file(backup, CONFIG_FILE);
    if (!configFile) throw new BackupIntegrityError(`Backup ${backupId} has no ${CONFIG_FILE}`);
    const text = collect();
    await loadFile(storage, backup.remotePath, configFile, text.sink, { gzip: false, password: plan.password });
    const dataFile = this.file(backup, DATA_FILE);
    if (dataFile) await loadFile(storage, backup.remotePath, dataFile, discard(), { gzip: true, password: plan.password });
    let snapshot: AppSnapshot;
    try {
      snapshot = JSON.parse(text.text()) as AppSnapshot;
    } catch {
      throw new BackupIntegrityError(`${configFile.name} of backup ${backupId} is not valid JSON`);
    }
    return { ...plan, snapshot };
  }

  /**
   * What the backup's data holds, entry by entry with each file's SHA-256 (for the restore drill to compare
   * with what a restore produced); null when the app keeps no data.
   */
  async dataListing(plan: RestorePlan): Promise<Map<string, ListedEntry> | null> {
    const dataFile = this.file(plan.backup, DATA_FILE);
    if (!dataFile) return null;
    const lister = tarLister();
    await loadFile(plan.storage, plan.backup.remotePath, dataFile, lister.sink, { gzip: true, password: plan.password });
    return lister.entries();
  }

  /** Unpacks the backup's data into the (new, empty) volume. */
  async restoreData(app: App, plan: RestorePlan, volume: string): Promise<void> {
    const dataFile = this.file(plan.backup, DATA_FILE);
    if (!dataFile) return;
    const tar = new PassThrough();
    const unpacking = this.deps.runtime.fillVolume(
      { volume, image: app.manifest.dockerImage, mountPath: DATA_DIR, extractTo: '/app', labels: { [LABELS.instance]: app.instanceId, 'io.berth.restore-of': app.id } },
      tar,
    );
    // The engine refusing the archive must also end the reading side.
    unpacking.catch((err) => tar.destroy(err as Error));
    await Promise.all([loadFile(plan.storage, plan.backup.remotePath, dataFile, tar, { gzip: true, password: plan.password }), unpacking]);
  }

  private async start(app: App, encrypted: boolean): Promise<Backup> {
    const now = this.now();
    const id = backupId('app', now);
    const backup: Backup = {
      id, instanceId: app.instanceId, type: 'app', identifier: app.id, state: 'creating', format: 'tgz', encrypted, version: app.manifest.version,
      remotePath: id, files: [], dependsOn: [], manifest: app.manifest, size: 0, preserveSecs: 0, label: '', error: null, createdAt: now, updatedAt: now,
    };
    await this.deps.backups.insert(backup);
    return backup;
  }

  private file(backup: Backup, name: string): BackupFile | undefined {
    return backup.files.find((f) => f.name === name || f.name === `${name}.enc`);
  }

  private now() {
    return this.deps.clock().toISOString();
  }
}

/** `app-20261130T224800Z-1a2b3c`: sorts by time, unique, and doubles as the folder name on the target. */
export function backupId(type: 'app' | 'box', now: string): string {
  return `${type}-${now.replace(/[-:]|\.\d+/g, '')}-${randomBytes(4).toString('hex')}`;
}

function snapshotOf(app: App): AppSnapshot {
  return {
    manifest: app.manifest, appStoreId: app.appStoreId, env: app.env, memoryLimit: app.memoryLimit, label: app.label, tags: app.tags,
    fqdn: app.fqdn, portBindings: app.portBindings,
  };
}
