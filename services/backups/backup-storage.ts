import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What a write stored: its size and SHA-256, as they are on the target. */
export interface StoredFile {
  size: number;
  sha256: string;
}

/**
 * A backup target, seen from one tenant: paths are relative to the tenant's own folder on it. Backends
 * (filesystem today; S3 next) implement these few calls and nothing else.
 */
export interface BackupStorage {
  /** A live write, read back and delete; throws an Error naming the problem. */
  check(): Promise<void>;
  /** Streams `from` into the file (written aside and renamed, so a file is whole or absent). */
  write(file: string, from: Readable): Promise<StoredFile>;
  read(file: string): Promise<Readable>;
  /**
   * Makes `to` hold what `from` holds without sending the bytes again (format rsync, for a file unchanged since
   * the previous backup): a hard link on the filesystem, a server-side copy on S3.
   */
  link(from: string, to: string): Promise<void>;
  /** Removes the folder and everything in it; absent is fine. */
  removeDir(dir: string): Promise<void>;
  /** Removes everything of the tenant on the target (when the tenant is deleted). */
  removeAll(): Promise<void>;
}

/** Hashes what passes through it. */
export function hashing(): { stream: Transform; result: () => StoredFile } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest('hex') }) };
}

/** The filesystem backend: `<backupFolder>/<instanceId>/<backup>/<file>`. */
export class FilesystemStorage implements BackupStorage {
  private readonly root: string;

  constructor(backupFolder: string, instanceId: string) {
    this.root = path.join(backupFolder, instanceId);
  }

  async check() {
    const probe = path.join(this.root, `.berth-check-${randomBytes(6).toString('hex')}`);
    const content = randomBytes(32);
    await fs.promises.mkdir(this.root, { recursive: true, mode: 0o700 });
    await fs.promises.writeFile(probe, content, { mode: 0o600 });
    try {
      const back = await fs.promises.readFile(probe);
      if (!back.equals(content)) throw new Error('what was read back differs from what was written');
    } finally {
      await fs.promises.rm(probe, { force: true });
    }
  }

  async write(file: string, from: Readable) {
    const target = this.resolve(file);
    await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    // Random, so that two files written at once (format rsync) never share one.
    const temporary = `${target}.${randomBytes(4).toString('hex')}.partial`;
    const { stream, result } = hashing();
    try {
      await pipeline(from, stream, fs.createWriteStream(temporary, { mode: 0o600 }));
      await fs.promises.rename(temporary, target);
    } catch (err) {
      // A full disk must not leave the half-written file behind.
      await fs.promises.rm(temporary, { force: true });
      throw err;
    }
    return result();
  }

  /** A hard link: the file's bytes are on the disk once, however many backups hold it. */
  async link(from: string, to: string) {
    const target = this.resolve(to);
    await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await fs.promises.link(this.resolve(from), target);
  }

  async read(file: string) {
    const target = this.resolve(file);
    // Open first, so a missing file is an error here rather than on the stream later.
    const handle = await fs.promises.open(target, 'r');
    return handle.createReadStream();
  }

  async removeDir(dir: string) {
    await fs.promises.rm(this.resolve(dir), { recursive: true, force: true });
  }

  async removeAll() {
    await fs.promises.rm(this.root, { recursive: true, force: true });
  }

  /** Relative paths from Berth's own rows only, but never outside the tenant's folder all the same. */
  private resolve(file: string): string {
    const target = path.resolve(this.root, file);
    if (!target.startsWith(this.root + path.sep)) throw new Error(`backup path ${file} leaves the backup folder`);
    return target;
  }
}
