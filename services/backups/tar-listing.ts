import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { extract } from 'tar-stream';

/** One entry of a tar stream, as the restore drill compares them. */
export interface ListedEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** SHA-256 of a file's content; a symlink's target; '' otherwise. */
  content: string;
}

/**
 * A writable that reads a tar stream and lists its entries by path (with each file's SHA-256), for comparing two
 * archives of the same tree. Only hashes are kept, so memory stays small whatever the files' sizes.
 */
export function tarLister(): { sink: Writable; entries: () => Map<string, ListedEntry> } {
  const entries = new Map<string, ListedEntry>();
  const parser = extract();
  parser.on('entry', (header, stream, next) => {
    const hash = createHash('sha256');
    stream.on('data', (chunk: unknown) => hash.update(chunk as Buffer));
    stream.on('end', () => {
      const isFile = header.type === 'file' || header.type === 'contiguous-file';
      entries.set(header.name.replace(/\/+$/, ''), {
        type: header.type ?? 'file',
        mode: (header.mode ?? 0) & 0o7777,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        size: isFile ? (header.size ?? 0) : 0,
        content: isFile ? hash.digest('hex') : (header.linkname ?? ''),
      });
      next();
    });
    stream.resume();
  });
  // The parser's own end: every entry read (or the tar found malformed).
  const done = new Promise<void>((resolve, reject) => {
    parser.on('finish', resolve);
    parser.on('error', reject);
  });
  done.catch(() => undefined);
  // A malformed tar ends the writing side too, rather than leaving a write waiting for 'drain'.
  parser.on('error', (err: Error) => sink.destroy(err));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (parser.write(chunk)) callback();
      else parser.once('drain', () => callback());
    },
    final(callback) {
      parser.end(undefined);
      done.then(() => callback(), callback);
    },
    destroy(err, callback) {
      parser.destroy(err ?? undefined);
      callback(err);
    },
  });
  return { sink, entries: () => entries };
}

/** What differs between the backup's tree and the restored one, as lines a person can read (at most `limit`). */
export function compareListings(backup: Map<string, ListedEntry>, restored: Map<string, ListedEntry>, limit = 20): string[] {
  const problems: string[] = [];
  for (const [name, want] of backup) {
    const got = restored.get(name);
    if (!got) problems.push(`${name}: missing after the restore`);
    else {
      const fields = (['type', 'mode', 'uid', 'gid', 'size', 'content'] as const).filter((k) => want[k] !== got[k]);
      if (fields.length) problems.push(`${name}: ${fields.map((k) => (k === 'content' ? 'content differs' : `${k} ${fmt(k, want[k])} became ${fmt(k, got[k])}`)).join(', ')}`);
    }
  }
  for (const name of restored.keys()) if (!backup.has(name)) problems.push(`${name}: not in the backup but present after the restore`);
  return problems.length > limit ? [...problems.slice(0, limit), `… and ${problems.length - limit} more`] : problems;
}

const fmt = (key: string, value: string | number) => (key === 'mode' ? (value as number).toString(8) : String(value));
