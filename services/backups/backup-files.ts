import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BackupIntegrityError, decryptStream, encryptStream, type BackupKeys } from './backup-crypto';
import type { BackupFile } from './backup-repo';
import { hashing, type BackupStorage } from './backup-storage';
import { gzipProcess } from './gzip-process';

/**
 * The chunk size of the streams a file goes through (Node's default is 16 KiB): every chunk passes each stage
 * (gunzip in the thread pool, decryption, SHA-256, the target), so bigger chunks cost less per byte.
 */
const ZLIB_CHUNK = 256 * 1024;

/**
 * Writing and reading one backup file: gzip (for tar data), then encryption when a password is set, then the
 * target; the SHA-256 of what lands on the target is what the backup row records.
 */
export async function storeFile(
  storage: BackupStorage,
  dir: string,
  name: string,
  source: NodeJS.ReadableStream | Buffer,
  options: { gzip: boolean; password: string | null; keys?: BackupKeys },
): Promise<BackupFile> {
  const stored = options.password ? `${name}.enc` : name;
  const stages: NodeJS.ReadWriteStream[] = [];
  if (options.gzip) stages.push(gzipProcess());
  if (options.password) stages.push(encryptStream(options.password, options.keys));
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const out = new PassThrough({ highWaterMark: ZLIB_CHUNK });
  const feeding = pipeline([input, ...stages, out] as unknown as Parameters<typeof pipeline>[0][]);
  // A target that fails (a full disk) stops reading `out`: destroying it ends the pipeline, which destroys the
  // source and the gzip process. Left alone they would wait on back-pressure for ever, holding their pipes open.
  const writing = storage.write(`${dir}/${stored}`, out).catch((err: unknown) => {
    out.destroy(err as Error);
    throw err;
  });
  const [, written] = await Promise.all([feeding, writing]);
  return { name: stored, ...written };
}

/**
 * Streams a stored file back out (decrypted, gunzipped) into `sink`, checking its checksum; any damage, a
 * wrong password or a cut file ends in a BackupIntegrityError that names the file and the problem.
 */
export async function loadFile(
  storage: BackupStorage,
  dir: string,
  file: BackupFile,
  sink: NodeJS.WritableStream,
  options: { gzip: boolean; password: string | null; keys?: BackupKeys },
): Promise<void> {
  const encrypted = file.name.endsWith('.enc');
  if (encrypted && !options.password) {
    throw new BackupIntegrityError(`${file.name} is encrypted, but no encryption password is configured`);
  }
  let input: Readable;
  try {
    input = await storage.read(`${dir}/${file.name}`);
  } catch (err) {
    throw new BackupIntegrityError(`${file.name} cannot be read from the backup target (${(err as Error).message})`);
  }
  const { stream: hash, result } = hashing();
  const stages: NodeJS.ReadWriteStream[] = [hash];
  if (encrypted) stages.push(decryptStream(options.password!, file.name, options.keys));
  if (options.gzip) stages.push(createGunzip({ chunkSize: ZLIB_CHUNK }));
  try {
    await pipeline([input, ...stages, sink] as unknown as Parameters<typeof pipeline>[0][]);
  } catch (err) {
    if (err instanceof BackupIntegrityError) throw err;
    if ((err as { code?: string }).code?.startsWith('Z_') || /unexpected end of file|incorrect header/i.test((err as Error).message)) {
      throw new BackupIntegrityError(`${file.name} is corrupted or truncated (${(err as Error).message})`);
    }
    throw err;
  }
  const got = result();
  if (got.size < file.size) throw new BackupIntegrityError(`${file.name} is truncated: it has ${got.size} of its ${file.size} bytes`);
  if (got.sha256 !== file.sha256 || got.size !== file.size) {
    throw new BackupIntegrityError(`${file.name} is corrupted: its SHA-256 checksum does not match the one recorded when it was made`);
  }
}

/** Re-reads a stored file and compares its SHA-256 with the recorded one (no password needed): for verify. */
export async function checkStoredFile(storage: BackupStorage, dir: string, file: BackupFile): Promise<string | null> {
  try {
    const { stream, result } = hashing();
    await pipeline(await storage.read(`${dir}/${file.name}`), stream, discard());
    const got = result();
    if (got.sha256 !== file.sha256 || got.size !== file.size) return `${file.name}: its SHA-256 checksum does not match the recorded one`;
    return null;
  } catch (err) {
    return `${file.name}: ${(err as Error).message}`;
  }
}

/** A sink that drops what it is given. */
export function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** Collects what it is given, up to a limit (config files are small). */
export function collect(limit = 1024 * 1024): { sink: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) return done(new BackupIntegrityError('a backup config file is larger than it can be'));
      chunks.push(chunk);
      done();
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}
