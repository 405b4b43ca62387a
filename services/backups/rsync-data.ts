import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { extract, pack, type Header, type Pack } from 'tar-stream';
import { BackupIntegrityError, type BackupKeys } from './backup-crypto';
import { checkStoredFile, collect, discard, loadFile, storeFile } from './backup-files';
import type { Backup, BackupFile } from './backup-repo';
import { hashing, type BackupStorage } from './backup-storage';

/** One thing in an app's data, as the rsync format's listing records it. */
export interface ListingEntry {
  /** Relative to the data folder; '' is the folder itself. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** A symlink's target, or the listing path of the file a hard link is. */
  target?: string;
  /** Files: the content's size and SHA-256 … */
  size?: number;
  sha256?: string;
  /** … and the stored file (relative to the backup's folder), with the size and SHA-256 it has on the target. */
  stored?: BackupFile;
}

export interface Listing {
  version: 1;
  entries: ListingEntry[];
}

/** The listing's file in an rsync backup (gzipped JSON; encrypted as the data is). */
export const LISTING_FILE = 'listing.json.gz';
/** A listing of a million files is some hundred megabytes; anything larger is not one Berth wrote. */
const LISTING_LIMIT = 512 * 1024 * 1024;

/** Reads and checks an rsync backup's listing from the target. */
export async function readListing(storage: BackupStorage, backup: Backup, password: string | null, keys?: BackupKeys): Promise<Listing> {
  const file = backup.files.find((f) => f.name === LISTING_FILE || f.name === `${LISTING_FILE}.enc`);
  if (!file) throw new BackupIntegrityError(`Backup ${backup.id} has no ${LISTING_FILE}`);
  const text = collect(LISTING_LIMIT);
  await loadFile(storage, backup.remotePath, file, text.sink, { gzip: true, password, keys });
  try {
    const listing = JSON.parse(text.text()) as Listing;
    if (listing.version !== 1 || !Array.isArray(listing.entries)) throw new Error('not a listing');
    return listing;
  } catch {
    throw new BackupIntegrityError(`${file.name} of backup ${backup.id} is not a valid listing`);
  }
}

/** What the previous rsync backup of the app holds: unchanged files are linked to it rather than stored again. */
export interface BaseBackup {
  dir: string;
  files: Map<string, ListingEntry>;
}

export interface RsyncTarget {
  storage: BackupStorage;
  /** The backup's folder on the target. */
  dir: string;
  password: string | null;
  keys?: BackupKeys;
  encryptedFilenames: boolean;
  /** How many files are stored, linked or read at once. */
  concurrency: number;
}

/** Files up to this size are read into memory, hashed, and then either linked or stored (several at once). */
const SMALL_FILE = 1024 * 1024;

/**
 * The rsync format's data: each file of the app's data stored on its own under `data/` (encrypted one by one
 * when a password is set), and a listing of every file, folder and link with its mode, owner and checksum.
 */
export class RsyncData {
  constructor(private readonly target: RsyncTarget) {}

  /**
   * Stores the files of a tar stream (the engine's archive of the data folder, whose first path part is the
   * folder itself). A file whose path, size and SHA-256 match the base backup's is linked to it. A large file is
   * only hashed when its size and mtime match; should its content differ all the same, it is fetched again
   * with `refetch` (the app is still stopped) and stored.
   */
  async store(archive: NodeJS.ReadableStream, base: BaseBackup | null, refetch: (path: string) => Promise<NodeJS.ReadableStream>): Promise<{ listing: Listing; linked: number; stored: number }> {
    const entries: ListingEntry[] = [];
    const again: ListingEntry[] = [];
    const pool = new Pool(this.target.concurrency);
    let linked = 0;
    let stored = 0;
    const link = (entry: ListingEntry, previous: ListingEntry) =>
      pool.add(async () => {
        const suffix = this.target.password ? '.enc' : '';
        entry.stored = { ...previous.stored!, name: `${await this.storedName(entry.path)}${suffix}` };
        await this.target.storage.link(`${base!.dir}/${previous.stored!.name}`, `${this.target.dir}/${entry.stored.name}`);
        linked++;
      });

    const tar = extract();
    const source = Readable.from(archive as AsyncIterable<Buffer>);
    source.on('error', (err) => tar.destroy(err));
    source.pipe(tar);
    try {
      for await (const item of tar) {
        const entry = entryOf(item.header);
        if (!entry) {
          item.resume();
          continue;
        }
        entries.push(entry);
        if (entry.type !== 'file') {
          item.resume();
          continue;
        }
        const previous = base?.files.get(entry.path);
        const sameSize = previous?.size === entry.size;
        if (entry.size! <= SMALL_FILE) {
          const content = await readAll(item as AsyncIterable<Buffer>);
          entry.sha256 = sha256(content);
          if (sameSize && previous!.sha256 === entry.sha256) await link(entry, previous!);
          else await pool.add(async () => this.storeContent(entry, content).then(() => void stored++));
        } else if (sameSize && previous!.mtime === entry.mtime) {
          entry.sha256 = await hashAll(item as AsyncIterable<Buffer>);
          if (previous!.sha256 === entry.sha256) await link(entry, previous!);
          else again.push(entry);
        } else {
          await this.storeContent(entry, item as AsyncIterable<Buffer>);
          stored++;
        }
      }
      for (const entry of again) {
        await withSingleFile(await refetch(entry.path), (content) => this.storeContent(entry, content));
        stored++;
      }
      await pool.drain();
    } catch (err) {
      source.destroy();
      tar.destroy();
      await pool.settle();
      throw err;
    }
    return { listing: { version: 1, entries }, linked, stored };
  }

  /** Reads every stored file whole (decrypting into nothing): a missing, damaged or cut file fails here. */
  async check(listing: Listing): Promise<void> {
    const pool = new Pool(this.target.concurrency);
    for (const entry of listing.entries) {
      if (entry.stored) await pool.add(() => loadFile(this.target.storage, this.target.dir, entry.stored!, discard(), this.readOptions()));
    }
    await pool.drain();
  }

  /** Compares each stored file's SHA-256 with the listing's (no decryption): for verify. */
  async problems(listing: Listing, log: (line: string) => void): Promise<string[]> {
    const problems: string[] = [];
    const pool = new Pool(this.target.concurrency);
    for (const entry of listing.entries) {
      if (!entry.stored) continue;
      await pool.add(async () => {
        const problem = await checkStoredFile(this.target.storage, this.target.dir, entry.stored!);
        if (problem) {
          problems.push(problem);
          log(problem);
        }
      });
    }
    await pool.drain();
    return problems;
  }

  /** The data as a tar stream whose first path part is `root` (what the engine unpacks into the new volume). */
  tar(listing: Listing, root: string): Readable {
    const out = pack();
    const write = async () => {
      for (const entry of listing.entries) {
        const header: Partial<Header> & { name: string } = {
          name: entry.path ? `${root}/${entry.path}` : root, type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: new Date(entry.mtime * 1000),
        };
        if (entry.type === 'symlink') header.linkname = entry.target;
        if (entry.type === 'link') header.linkname = `${root}/${entry.target}`;
        if (entry.type !== 'file') {
          await new Promise<void>((resolve, reject) => out.entry(header, (err) => (err ? reject(err) : resolve())));
          continue;
        }
        const content = new PassThrough();
        await Promise.all([loadFile(this.target.storage, this.target.dir, entry.stored!, content, this.readOptions()), writeEntry(out, { ...header, size: entry.size }, content)]);
      }
      out.finalize();
    };
    write().catch((err: Error) => out.destroy(err));
    return Readable.from(out as AsyncIterable<Buffer>);
  }

  /** `data/<path>`, or with encrypted file names `data/<32 hex digits>`; `.enc` is added when encrypted. */
  private async storedName(path: string): Promise<string> {
    if (this.target.encryptedFilenames && this.target.keys) return `data/${await this.target.keys.nameFor(path)}`;
    return `data/${path}`;
  }

  private async storeContent(entry: ListingEntry, content: Buffer | AsyncIterable<Buffer>): Promise<void> {
    const name = await this.storedName(entry.path);
    const options = { gzip: false, password: this.target.password, keys: this.target.keys };
    if (Buffer.isBuffer(content)) {
      entry.stored = await storeFile(this.target.storage, this.target.dir, name, content, options);
      return;
    }
    const { stream, result } = hashing();
    const source = Readable.from(content);
    source.on('error', (err) => stream.destroy(err));
    entry.stored = await storeFile(this.target.storage, this.target.dir, name, source.pipe(stream), options);
    const plain = result();
    if (plain.size !== entry.size) throw new Error(`${entry.path} changed size while it was copied`);
    entry.sha256 = plain.sha256;
  }

  private readOptions() {
    return { gzip: false, password: this.target.password, keys: this.target.keys };
  }
}

/** The listing entry for a tar header; null for what a backup does not keep (devices, fifos). */
function entryOf(header: Header): ListingEntry | null {
  const path = withoutRoot(header.name);
  const common = { path, mode: header.mode ?? 0o644, uid: header.uid ?? 0, gid: header.gid ?? 0, mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000) };
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return { ...common, type: 'file', size: header.size ?? 0 };
    case 'directory':
      return { ...common, type: 'directory' };
    case 'symlink':
      return { ...common, type: 'symlink', target: header.linkname ?? '' };
    case 'link':
      return { ...common, type: 'link', target: withoutRoot(header.linkname ?? '') };
    default:
      return null;
  }
}

/** `data/a/b` → `a/b`: the engine's archive names everything under the archived folder's own name. */
function withoutRoot(name: string): string {
  return name.split('/').filter(Boolean).slice(1).join('/');
}

/** Hands the only file of a tar stream (the engine's archive of one file) to `use`, and reads the tar to its end. */
async function withSingleFile(archive: NodeJS.ReadableStream, use: (content: AsyncIterable<Buffer>) => Promise<void>): Promise<void> {
  const tar = extract();
  archive.on('error', (err: Error) => tar.destroy(err));
  archive.pipe(tar as unknown as NodeJS.WritableStream);
  let found = false;
  for await (const item of tar) {
    if (item.header.type === 'file' && !found) {
      found = true;
      await use(item as AsyncIterable<Buffer>);
    } else item.resume();
  }
  if (!found) throw new BackupIntegrityError('the engine gave no file');
}

/** Writes a file's content into the tar (a streamx stream: written by hand, with its back-pressure). */
async function writeEntry(out: Pack, header: Partial<Header> & { name: string }, content: AsyncIterable<Buffer>): Promise<void> {
  let sink!: ReturnType<Pack['entry']>;
  const written = new Promise<void>((resolve, reject) => {
    sink = out.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  for await (const chunk of content) {
    if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  sink.end(undefined);
  await written;
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function hashAll(stream: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/** At most `size` jobs at once; the first failure is thrown by the next add or by drain. */
class Pool {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly size: number) {}

  /** Starts the job once a slot is free; resolves when it has started. */
  async add(work: () => Promise<unknown>): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
    this.throwFailure();
    const job: Promise<void> = work()
      .then(() => undefined, (error: unknown) => void (this.failure ??= { error }))
      .finally(() => this.running.delete(job));
    this.running.add(job);
  }

  async drain(): Promise<void> {
    await this.settle();
    this.throwFailure();
  }

  /** Waits for the running jobs, whatever they end in. */
  async settle(): Promise<void> {
    while (this.running.size) await Promise.all(this.running);
  }

  private throwFailure() {
    if (this.failure) throw this.failure.error;
  }
}
