import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { Clock } from '../core/clock';
import type { App } from '../apps/app-repo';
import type { AppRuntime } from '../apps/app-runtime';
import { LABELS } from '../apps/app-runtime';
import type { AppBackups, AppRestorePlan, AppSnapshot } from '../apps/app-backups';
import type { TaskContext } from '../tasks/task-handler';
import type { Backup, BackupFile, BackupRepo } from './backup-repo';
import { collect, discard, loadFile, storeFile } from './backup-files';
import type { BackupStorage } from './backup-storage';
import { BackupIntegrityError, BackupKeys } from './backup-crypto';
import type { BackupConfig } from './backup-config';
import type { BackupTargets } from './backup-target';
import { tarLister, type ListedEntry } from './tar-listing';
import { LISTING_FILE, readListing, RsyncData, type BaseBackup, type Listing } from './rsync-data';

export const DATA_DIR = '/app/data';
const CONFIG_FILE = 'config.json';
const DATA_FILE = 'data.tar.gz';
/** The first path part of the engine's archive of DATA_DIR, and of the tar a restore hands it. */
const DATA_ROOT = 'data';

/** A checked backup, ready to be put back: every file was read whole, decrypted and matched its checksum. */
export interface RestorePlan extends AppRestorePlan {
  backup: Backup;
  storage: BackupStorage;
  password: string | null;
  /** Format rsync: every file, folder and link of the data, each stored file already read whole. */
  listing?: Listing;
  keys?: BackupKeys;
  /** How many files are read at once (syncConcurrency). */
  concurrency: number;
}

export interface AppBackupDeps {
  backups: BackupRepo;
  runtime: AppRuntime;
  targets: BackupTargets;
  clock: Clock;
}

/** Backing up and restoring one app: its config and manifest, and the contents of its data volume. */
export class AppBackupRunner implements AppBackups {
  constructor(private readonly deps: AppBackupDeps) {}

  /**
   * Writes config.json and the contents of /app/data to the target: one gzipped tar (format tgz), or file by
   * file with a listing (format rsync). A running app is stopped while its data is copied, so the copy is
   * consistent, and started again whatever happens.
   */
  async backupApp(app: App, ctx: TaskContext): Promise<Backup> {
    const { runtime } = this.deps;
    const config = await this.deps.targets.config(app.instanceId);
    const storage = this.deps.targets.storage(config, app.instanceId);
    const backup = await this.start(app, config.password !== null, config.format);
    const keys = config.password ? new BackupKeys(config.password) : undefined;
    try {
      const files: BackupFile[] = [];
      let dataSize = 0;
      files.push(await storeFile(storage, backup.remotePath, CONFIG_FILE, Buffer.from(JSON.stringify(snapshotOf(app), null, 2)), { gzip: false, password: config.password, keys }));
      const base = config.format === 'rsync' && app.manifest.addons?.localstorage ? await this.baseFor(app, backup, config, keys, ctx) : null;
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
          if (config.format === 'rsync') {
            const target = { storage, dir: backup.remotePath, password: config.password, keys, encryptedFilenames: config.encryptedFilenames, concurrency: config.syncConcurrency };
            const refetch = async (file: string) => {
              const one = await runtime.archive(app.id, `${DATA_DIR}/${file}`);
              if (!one) throw new Error(`The engine gave no archive of ${DATA_DIR}/${file}`);
              return one;
            };
            const { listing, linked, stored } = await new RsyncData(target).store(archive, base, refetch);
            files.push(await storeFile(storage, backup.remotePath, LISTING_FILE, Buffer.from(JSON.stringify(listing)), { gzip: true, password: config.password, keys }));
            dataSize = listing.entries.reduce((sum, e) => sum + (e.stored?.size ?? 0), 0);
            ctx.log(`rsync: ${listing.entries.length} entries, ${stored} files stored, ${linked} unchanged files linked${base ? ` to ${base.dir}` : ''}`);
          } else {
            files.push(await storeFile(storage, backup.remotePath, DATA_FILE, archive, { gzip: true, password: config.password }));
          }
        } finally {
          if (container.running) {
            await runtime.start(container.id);
            ctx.log(`started ${app.fqdn} again`);
          }
        }
      }
      const size = files.reduce((sum, f) => sum + f.size, dataSize);
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
    const keys = config.password ? new BackupKeys(config.password) : undefined;
    const plan: Omit<RestorePlan, 'snapshot'> = { backup, storage, password: config.password, keys, concurrency: config.syncConcurrency };
    const configFile = this.file(backup, CONFIG_FILE);
    if (!configFile) throw new BackupIntegrityError(`Backup ${backupId} has no ${CONFIG_FILE}`);
    const text = collect();
    await loadFile(storage, backup.remotePath, configFile, text.sink, { gzip: false, password: plan.password, keys });
    const dataFile = this.file(backup, DATA_FILE);
    if (dataFile) await loadFile(storage, backup.remotePath, dataFile, discard(), { gzip: true, password: plan.password });
    if (this.file(backup, LISTING_FILE)) {
      plan.listing = await readListing(storage, backup, config.password, keys);
      await this.rsync(plan).check(plan.listing);
    }
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
    if (plan.listing) return listedFromRsync(plan.listing);
    const dataFile = this.file(plan.backup, DATA_FILE);
    if (!dataFile) return null;
    const lister = tarLister();
    await loadFile(plan.storage, plan.backup.remotePath, dataFile, lister.sink, { gzip: true, password: plan.password });
    return lister.entries();
  }

  /** Unpacks the backup's data into the (new, empty) volume. */
  async restoreData(app: App, plan: RestorePlan, volume: string): Promise<void> {
    const dataFile = this.file(plan.backup, DATA_FILE);
    const fill = (tar: Readable) => {
      const unpacking = this.deps.runtime.fillVolume(
        { volume, image: app.manifest.dockerImage, mountPath: DATA_DIR, extractTo: '/app', labels: { [LABELS.instance]: app.instanceId, 'io.berth.restore-of': app.id } },
        tar,
      );
      // The engine refusing the archive must also end the reading side.
      unpacking.catch((err) => tar.destroy(err as Error));
      return unpacking;
    };
    if (plan.listing) return fill(this.rsync(plan).tar(plan.listing, DATA_ROOT));
    if (!dataFile) return;
    const tar = new PassThrough();
    await Promise.all([loadFile(plan.storage, plan.backup.remotePath, dataFile, tar, { gzip: true, password: plan.password }), fill(tar)]);
  }

  /**
   * The app's newest complete rsync backup made with the same encryption, to link unchanged files to; none (a
   * full copy) when there is none or its listing cannot be read (another password, damage), which the log says.
   */
  private async baseFor(app: App, backup: Backup, config: BackupConfig, keys: BackupKeys | undefined, ctx: TaskContext): Promise<BaseBackup | null> {
    const recent = await this.deps.backups.list({ instanceId: app.instanceId, type: 'app', identifier: app.id, page: 1, perPage: 20 });
    const previous = recent.find((b) => b.id !== backup.id && b.state === 'normal' && b.format === 'rsync' && b.encrypted === (config.password !== null));
    if (!previous) return null;
    const storage = this.deps.targets.storage(config, app.instanceId);
    try {
      const listing = await readListing(storage, previous, config.password, keys);
      const files = new Map(listing.entries.filter((e) => e.type === 'file' && e.stored).map((e) => [e.path, e]));
      return { dir: previous.remotePath, files };
    } catch (err) {
      ctx.log(`copying every file: the listing of ${previous.id} cannot be read (${(err as Error).message})`);
      return null;
    }
  }

  /** For reading: the stored names come from the listing, whatever encryptedFilenames is now. */
  private rsync(plan: Omit<RestorePlan, 'snapshot'>): RsyncData {
    return new RsyncData({ storage: plan.storage, dir: plan.backup.remotePath, password: plan.password, keys: plan.keys, encryptedFilenames: false, concurrency: plan.concurrency });
  }

  private async start(app: App, encrypted: boolean, format: BackupConfig['format']): Promise<Backup> {
    const now = this.now();
    const id = backupId('app', now);
    const backup: Backup = {
      id, instanceId: app.instanceId, type: 'app', identifier: app.id, state: 'creating', format, encrypted, version: app.manifest.version,
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

/** The rsync listing as the engine's tar of DATA_DIR names and types its entries (`data/<path>`). */
function listedFromRsync(listing: Listing): Map<string, ListedEntry> {
  const name = (path: string) => (path ? `${DATA_ROOT}/${path}` : DATA_ROOT);
  return new Map(
    listing.entries.map((e) => {
      const content = e.type === 'file' ? (e.sha256 ?? '') : e.type === 'link' ? name(e.target ?? '') : (e.target ?? '');
      return [name(e.path), { type: e.type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: e.type === 'file' ? (e.size ?? 0) : 0, content }];
    }),
  );
}
