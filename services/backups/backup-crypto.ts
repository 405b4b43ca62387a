import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Streaming authenticated encryption for backup files: AES-256-GCM over chunks of 64 KiB, so a file of any
 * size streams through in bounded memory and every chunk is checked before its bytes are let out.
 *
 *   header: "BERTHENC" | version (1) | salt (16) | nonce prefix (8) | key check (16)
 *   chunk:  plaintext length (u32 BE) | ciphertext | GCM tag (16)
 *
 * The key is scrypt(password, salt): a fresh salt per file. A chunk's nonce is the prefix and the chunk's
 * number, so chunks cannot be reordered; its one byte of additional data says whether it is the last, so a
 * file cut short after any chunk is told apart from a whole one. The key check (an HMAC of the salt) tells a
 * wrong password from a damaged file before any chunk is opened.
 */
const MAGIC = Buffer.from('BERTHENC');
const VERSION = 1;
const HEADER_SIZE = MAGIC.length + 1 + 16 + 8 + 16;
const CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
const LAST = Buffer.from([1]);
const MORE = Buffer.from([0]);

/** Why a file could not be decrypted, in words for the task's error. */
export class BackupIntegrityError extends Error {
  name = 'BackupIntegrityError';
}

function deriveKey(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, 32, { N: 16384, r: 8, p: 1 }, (err, key) => (err ? reject(err) : resolve(key))));
}

const keyCheck = (key: Buffer, salt: Buffer) => createHmac('sha256', key).update('berth-backup-key-check').update(salt).digest().subarray(0, 16);

function nonce(prefix: Buffer, counter: number): Buffer {
  const out = Buffer.alloc(12);
  prefix.copy(out, 0);
  out.writeUInt32BE(counter, 8);
  return out;
}

/**
 * The keys of one backup made or read file by file (format rsync): scrypt is deliberately slow, so the files a
 * backup writes share one salt (each still has its own random nonce prefix), and a reader derives each salt's
 * key once. Without it, every file has its own salt.
 */
export class BackupKeys {
  private readonly salt = randomBytes(16);
  private writing: Promise<Buffer> | undefined;
  private readonly reading = new Map<string, Promise<Buffer>>();

  constructor(private readonly password: string) {}

  forWriting(): { salt: Buffer; key: Promise<Buffer> } {
    this.writing ??= deriveKey(this.password, this.salt);
    return { salt: this.salt, key: this.writing };
  }

  forReading(salt: Buffer): Promise<Buffer> {
    const id = salt.toString('hex');
    if (!this.reading.has(id)) this.reading.set(id, deriveKey(this.password, salt));
    return this.reading.get(id)!;
  }

  /** A file name on the target that says nothing of the real one (32 hex digits of an HMAC under the backup's key). */
  async nameFor(realName: string): Promise<string> {
    const key = await this.forWriting().key;
    return createHmac('sha256', key).update('berth-backup-file-name\0').update(realName).digest('hex').slice(0, 32);
  }
}

/** Encrypts what is written to it. */
export function encryptStream(password: string, keys?: BackupKeys): Transform {
  const shared = keys?.forWriting();
  const salt = shared?.salt ?? randomBytes(16);
  const prefix = randomBytes(8);
  const keyReady = shared?.key ?? deriveKey(password, salt);
  let key: Buffer | undefined;
  let pending = Buffer.alloc(0);
  let counter = 0;

  const seal = (plain: Buffer, last: boolean): Buffer => {
    const cipher = createCipheriv('aes-256-gcm', key!, nonce(prefix, counter++));
    cipher.setAAD(last ? LAST : MORE);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(plain.length);
    return Buffer.concat([length, body, cipher.getAuthTag()]);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      const start = key ? Promise.resolve() : keyReady.then((k) => {
        key = k;
        this.push(Buffer.concat([MAGIC, Buffer.from([VERSION]), salt, prefix, keyCheck(k, salt)]));
      });
      start
        .then(() => {
          pending = Buffer.concat([pending, chunk]);
          // Keep at least one byte back: the last chunk must be sealed as the last.
          while (pending.length > CHUNK_SIZE) {
            this.push(seal(pending.subarray(0, CHUNK_SIZE), false));
            pending = pending.subarray(CHUNK_SIZE);
          }
        })
        .then(() => done(), done);
    },
    flush(done: TransformCallback) {
      keyReady
        .then((k) => {
          if (!key) {
            key = k;
            this.push(Buffer.concat([MAGIC, Buffer.from([VERSION]), salt, prefix, keyCheck(k, salt)]));
          }
          this.push(seal(pending, true));
        })
        .then(() => done(), done);
    },
  });
}

/** Decrypts what is written to it; fails with a BackupIntegrityError on a wrong password or a damaged or cut file. */
export function decryptStream(password: string, fileName: string, keys?: BackupKeys): Transform {
  let buffer = Buffer.alloc(0);
  let key: Buffer | undefined;
  let prefix: Buffer | undefined;
  let counter = 0;
  let ended = false;

  const readHeader = async (): Promise<void> => {
    if (!buffer.subarray(0, MAGIC.length).equals(MAGIC) || buffer[MAGIC.length] !== VERSION) {
      throw new BackupIntegrityError(`${fileName} is not an encrypted Berth backup file (was it made without an encryption password?)`);
    }
    let offset = MAGIC.length + 1;
    const salt = buffer.subarray(offset, (offset += 16));
    prefix = Buffer.from(buffer.subarray(offset, (offset += 8)));
    const check = buffer.subarray(offset, offset + 16);
    const derived = await (keys ? keys.forReading(Buffer.from(salt)) : deriveKey(password, Buffer.from(salt)));
    if (!timingSafeEqual(keyCheck(derived, Buffer.from(salt)), check)) {
      throw new BackupIntegrityError(`${fileName} was encrypted with a different key: the configured encryption password does not open it`);
    }
    key = derived;
    buffer = buffer.subarray(HEADER_SIZE);
  };

  const openChunks = (push: (b: Buffer) => void): void => {
    while (buffer.length >= 4) {
      if (ended) throw new BackupIntegrityError(`${fileName} is corrupted: it has data after its last chunk`);
      const length = buffer.readUInt32BE(0);
      if (length > CHUNK_SIZE) throw new BackupIntegrityError(`${fileName} is corrupted (chunk ${counter} has an impossible length)`);
      if (buffer.length < 4 + length + TAG_SIZE) return;
      const body = buffer.subarray(4, 4 + length);
      const tag = buffer.subarray(4 + length, 4 + length + TAG_SIZE);
      buffer = buffer.subarray(4 + length + TAG_SIZE);
      push(open(body, tag));
    }
  };

  const open = (body: Buffer, tag: Buffer): Buffer => {
    // Not knowing which it is, try "more" first; only the true last chunk authenticates as "last".
    for (const aad of [MORE, LAST]) {
      const decipher = createDecipheriv('aes-256-gcm', key!, nonce(prefix!, counter));
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      try {
        const plain = Buffer.concat([decipher.update(body), decipher.final()]);
        counter++;
        if (aad === LAST) ended = true;
        return plain;
      } catch {
        // try the other marker
      }
    }
    throw new BackupIntegrityError(`${fileName} is corrupted: chunk ${counter} failed its authentication check`);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      buffer = Buffer.concat([buffer, chunk]);
      const ready = key || buffer.length < HEADER_SIZE ? Promise.resolve() : readHeader();
      ready
        .then(() => {
          if (key) openChunks((b) => this.push(b));
        })
        .then(() => done(), done);
    },
    flush(done: TransformCallback) {
      const ready = key ? Promise.resolve() : buffer.length >= HEADER_SIZE ? readHeader() : Promise.reject(new BackupIntegrityError(`${fileName} is truncated: it ends inside its header`));
      ready
        .then(() => {
          openChunks((b) => this.push(b));
          if (buffer.length > 0 || !ended) throw new BackupIntegrityError(`${fileName} is truncated: it ends before its last chunk`);
        })
        .then(() => done(), done);
    },
  });
}
