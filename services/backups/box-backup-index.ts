import { pipeline } from 'node:stream/promises';
import { BackupIntegrityError, decryptStream } from './backup-crypto';
import { collect, storeFile } from './backup-files';
import type { BackupFile } from './backup-repo';
import { hashing, type BackupStorage } from './backup-storage';

export const INDEX_FILE = 'index.json';
const KIND = 'berth-box-backup';

/**
 * What a box backup leaves beside db.json.gz so that a box rebuilt on another machine can check the backup
 * before it writes anything: the backup's rows (and their checksums) live inside db.json.gz, which such a box
 * does not have yet. Encrypted like the rest (`index.json.enc`): its GCM chunks authenticate it, and opening it
 * is how a wrong password is told apart from damage before any large file is read.
 */
export interface BoxBackupIndex {
  kind: typeof KIND;
  backupId: string;
  /** The tenant whose backup it is: its folder on the target. */
  instanceId: string;
  /** Berth's version that made it (the restore's `version` must match). */
  version: string;
  createdAt: string;
  encrypted: boolean;
  /** db.json.gz as stored. */
  files: BackupFile[];
  /** The app backups the box backup depends on, with their files as stored. */
  apps: Array<{ backupId: string; appId: string; files: BackupFile[] }>;
}

export async function writeIndex(storage: BackupStorage, dir: string, index: Omit<BoxBackupIndex, 'kind'>, password: string | null): Promise<BackupFile> {
  return storeFile(storage, dir, INDEX_FILE, Buffer.from(JSON.stringify({ kind: KIND, ...index }, null, 2)), { gzip: false, password });
}

/**
 * Reads a box backup's index: `index.json.enc`, else `index.json`. Null when neither is there; a
 * BackupIntegrityError when it is there but cannot be opened (no or a wrong password, damage).
 */
export async function readIndex(storage: BackupStorage, dir: string, password: string | null): Promise<{ index: BoxBackupIndex; file: BackupFile } | null> {
  const found = await openIndex(storage, dir);
  if (!found) return null;
  const encrypted = found.name.endsWith('.enc');
  if (encrypted && !password) {
    found.stream.destroy();
    throw new BackupIntegrityError('The backup is encrypted: give the password it was made with');
  }
  const text = collect(4 * 1024 * 1024);
  const { stream: hash, result } = hashing();
  await pipeline([found.stream, hash, ...(encrypted ? [decryptStream(password!, found.name)] : []), text.sink] as unknown as Parameters<typeof pipeline>[0][]);
  let index: BoxBackupIndex;
  try {
    index = JSON.parse(text.text()) as BoxBackupIndex;
  } catch {
    throw new BackupIntegrityError(`${found.name} is corrupted: it is not valid JSON`);
  }
  if (index.kind !== KIND || !Array.isArray(index.files) || !Array.isArray(index.apps)) throw new BackupIntegrityError(`${found.name} is not the index of a Berth box backup`);
  return { index, file: { name: found.name, ...result() } };
}

/** Whether the folder holds a box backup, and whether it is encrypted; nothing is decrypted. */
export async function probeIndex(storage: BackupStorage, dir: string): Promise<{ encrypted: boolean } | null> {
  const found = await openIndex(storage, dir);
  found?.stream.destroy();
  return found && { encrypted: found.name.endsWith('.enc') };
}

async function openIndex(storage: BackupStorage, dir: string) {
  for (const name of [`${INDEX_FILE}.enc`, INDEX_FILE]) {
    try {
      return { name, stream: await storage.read(`${dir}/${name}`) };
    } catch {
      // absent: try the other name
    }
  }
  return null;
}
