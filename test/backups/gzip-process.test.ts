import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { gzipProcess, gzipProgram } from '../../services/backups/gzip-process';

/** Backups compress with pigz where installed, gzip otherwise; either output is what restores (zlib) read. */
describe('gzip process', () => {
  const data = Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.from('text line\n'.repeat(100_000))]);

  const compress = async (program: string) => {
    const chunks: Buffer[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (chunks.push(chunk), done()) });
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), gzipProcess(program), sink);
    return Buffer.concat(chunks);
  };

  const pigz = gzipProgram() === 'gzip' ? [] : [gzipProgram()];
  it.each(['gzip', ...pigz])('%s output unpacks with zlib to the same bytes', async (program) => {
    const packed = await compress(program);
    expect(packed.length).toBeLessThan(data.length);
    expect(gunzipSync(packed).equals(data)).toBe(true);
  });

  // .ci/run installs pigz, so CI checks the pigz path; elsewhere the program is gzip.
  it('uses pigz when it is installed', () => {
    expect(gzipProgram()).toMatch(process.env.CI ? /\/pigz$/ : /pigz$|^gzip$/);
  });

  it('fails the stream when the program cannot run', async () => {
    const sink = new Writable({ write: (_chunk, _e, done) => done() });
    await expect(pipeline(Readable.from([data]), gzipProcess('no-such-gzip'), sink)).rejects.toThrow(/no-such-gzip could not run/);
  });
});
