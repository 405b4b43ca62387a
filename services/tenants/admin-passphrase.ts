import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hashPassword, verifyPassword } from '../auth/passwords';

/**
 * The admin API's one credential: a passphrase whose scrypt hash lives in `<data dir>/admin-passphrase`
 * (mode 0600), written by `berth admin passphrase`. The file is re-read when it changes, so rotating the
 * passphrase needs no restart. A passphrase that verified once against the current file is remembered (by its
 * SHA-256) so each request does not pay a scrypt; a rotation forgets it.
 */
export class AdminPassphrase {
  private stamp = '';
  private hash: string | null = null;
  private readonly verified = new Set<string>();

  constructor(readonly file: string) {}

  static inDataDir(dataDir: string): AdminPassphrase {
    return new AdminPassphrase(path.join(dataDir, 'admin-passphrase'));
  }

  /** Whether a passphrase has been set. */
  isSet(): boolean {
    return this.current() !== null;
  }

  async set(passphrase: string): Promise<void> {
    if (passphrase.length < 12) throw new Error('the admin passphrase must be at least 12 characters');
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    // Written aside and renamed, so a reader never sees half a file.
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, (await hashPassword(passphrase)) + '\n', { mode: 0o600 });
    fs.renameSync(temporary, this.file);
  }

  async verify(given: string): Promise<boolean> {
    const hash = this.current();
    if (hash === null) return false;
    const key = createHash('sha256').update(given).digest('hex');
    if (this.verified.has(key)) return true;
    const ok = await verifyPassword(given, hash);
    if (ok && this.current() === hash) this.verified.add(key);
    return ok;
  }

  private current(): string | null {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch {
      this.forget('', null);
      return null;
    }
    const stamp = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    if (stamp !== this.stamp) this.forget(stamp, fs.readFileSync(this.file, 'utf8').trim() || null);
    return this.hash;
  }

  private forget(stamp: string, hash: string | null): void {
    this.stamp = stamp;
    this.hash = hash;
    this.verified.clear();
  }
}
