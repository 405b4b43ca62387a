import type { Clock } from '../core/clock';
import type { TaskContext } from '../tasks/task-handler';
import type { Backup, BackupRepo } from './backup-repo';
import { checkStoredFile } from './backup-files';
import type { BackupTargets } from './backup-target';
import { BackupKeys } from './backup-crypto';
import { readListing, RsyncData } from './rsync-data';

export interface RetentionDeps {
  backups: BackupRepo;
  targets: BackupTargets;
  clock: Clock;
}

/** Which backups go when retention runs, and re-reading a backup to check it is still whole. */
export class BackupRetention {
  constructor(private readonly deps: RetentionDeps) {}

  /**
   * Removes backups older than retentionSecs, except: those whose preserveSecs is still in force, app backups a
   * kept box backup depends on, the newest complete backup of the box and of each app (a retention never leaves
   * nothing to restore), and backups still being made (a `creating` row older than any backup task can run is
   * the leftover of a crash, and expires like any other).
   */
  async cleanup(instanceId: string, ctx: TaskContext): Promise<{ removed: string[] }> {
    const config = await this.deps.targets.config(instanceId);
    if (config.retentionSecs === -1) {
      ctx.log('retentionSecs is -1: backups are kept for ever');
      return { removed: [] };
    }
    const all = await this.deps.backups.listAll(instanceId);
    const doomed = chooseExpired(all, config.retentionSecs, this.deps.clock().getTime());
    const storage = this.deps.targets.storage(config, instanceId);
    for (const [index, backup] of doomed.entries()) {
      ctx.progress(Math.round((index / doomed.length) * 100), `Removing ${backup.id}`);
      await storage.removeDir(backup.remotePath);
      await this.deps.backups.delete(backup.id);
      ctx.log(`removed ${backup.type} backup ${backup.id} from ${backup.createdAt}`);
    }
    ctx.progress(100, `Removed ${doomed.length} backups`);
    return { removed: doomed.map((b) => b.id) };
  }

  /**
   * Re-reads every file of the backup from the target and compares its SHA-256 with the recorded one. An
   * rsync backup's data files are listed in its listing, which is read (decrypted with the configured
   * password when the backup is encrypted) to check each of them too.
   */
  async verify(instanceId: string, backupId: string, ctx: TaskContext): Promise<{ backupId: string; files: number }> {
    const backup = await this.deps.backups.get(instanceId, backupId);
    if (!backup) throw new Error(`Backup ${backupId} no longer exists`);
    const config = await this.deps.targets.config(instanceId);
    const storage = this.deps.targets.storage(config, instanceId);
    const problems: string[] = [];
    for (const file of backup.files) {
      const problem = await checkStoredFile(storage, backup.remotePath, file);
      ctx.log(problem ?? `${file.name}: ${file.size} bytes, checksum matches`);
      if (problem) problems.push(problem);
    }
    if (backup.format === 'rsync' && backup.type === 'app' && !problems.length) problems.push(...(await this.verifyData(backup, storage, config.password, config.syncConcurrency, ctx)));
    if (problems.length) throw new Error(`Backup ${backupId} is damaged: ${problems.join('; ')}`);
    return { backupId, files: backup.files.length };
  }

  private async verifyData(backup: Backup, storage: ReturnType<BackupTargets['storage']>, password: string | null, concurrency: number, ctx: TaskContext): Promise<string[]> {
    if (backup.encrypted && !password) return ['its listing is encrypted, and checking the data files needs the encryption password'];
    const keys = password ? new BackupKeys(password) : undefined;
    let listing;
    try {
      listing = await readListing(storage, backup, password, keys);
    } catch (err) {
      return [(err as Error).message];
    }
    const data = new RsyncData({ storage, dir: backup.remotePath, password, keys, encryptedFilenames: false, concurrency });
    const problems = await data.problems(listing, (line) => ctx.log(line));
    ctx.log(`${listing.entries.filter((e) => e.stored).length} data files checked, ${problems.length} damaged or missing`);
    return problems;
  }
}

/** Longer than the box backup task's time limit (6 hours). */
const STALE_CREATING_SECS = 7 * 3600;

/** The retention rule itself, on rows newest first. */
export function chooseExpired(all: Backup[], retentionSecs: number, now: number): Backup[] {
  const age = (b: Backup) => (now - Date.parse(b.createdAt)) / 1000;
  const preserved = (b: Backup) => b.preserveSecs > 0 && age(b) < b.preserveSecs;
  const newest = new Set<string>();
  const seen = new Set<string>();
  for (const b of all) {
    if (b.state === 'normal' && !seen.has(b.identifier)) {
      seen.add(b.identifier);
      newest.add(b.id);
    }
  }
  // A backup still `creating` after the longest a backup task may run was left by a crashed worker.
  const inProgress = (b: Backup) => b.state === 'creating' && age(b) < STALE_CREATING_SECS;
  const keep = (b: Backup) => inProgress(b) || newest.has(b.id) || preserved(b) || age(b) <= retentionSecs;
  const needed = new Set(all.filter((b) => b.type === 'box' && keep(b)).flatMap((b) => b.dependsOn));
  return all.filter((b) => !keep(b) && !needed.has(b.id));
}
