import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { storeFile } from '../../services/backups/backup-files';
import type { BackupStorage } from '../../services/backups/backup-storage';

/** A target that refuses every write as a full disk does, without reading what it was given. */
const fullDisk = {
  write: async (_file: string, _from: Readable) => {
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  },
} as unknown as BackupStorage;

describe('storeFile', () => {
  // A failed target used to leave the pipeline waiting on back-pressure for ever: the source (the engine's archive
  // or tar's output) and the gzip process kept their pipes open, and jest's worker could not exit.
  it.each([true, false])('ends the source and every stage when the target fails (gzip %s)', async (gzip) => {
    const source = new PassThrough();
    source.end(randomBytes(4 * 1024 * 1024));
    await expect(storeFile(fullDisk, 'dir', 'data.tar.gz', source, { gzip, password: 'secret' })).rejects.toThrow('ENOSPC');
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });
});
