import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Duplex } from 'node:stream';

/**
 * pigz (parallel gzip, same format) where it is installed: it compresses on every core, so a backup outruns a
 * single-threaded `tar -czf`; gzip otherwise.
 */
export const gzipProgram = (): string => ['/usr/bin/pigz', '/bin/pigz', '/usr/local/bin/pigz'].find((p) => fs.existsSync(p)) ?? 'gzip';

/**
 * gzip (level 6, as `tar -czf`) in its own process: the compression, the costliest step of a tgz backup, runs on
 * another core while Node moves the bytes, encrypts and hashes them. Measured in bench/backup against zlib in
 * the thread pool, which hands every chunk back and forth with the main thread. `gzip` is in Debian's essential
 * set; its output is ordinary gzip, which restores read with zlib. `-n` leaves out a name and time, so the same
 * data compresses to the same bytes.
 */
export function gzipProcess(program: string = gzipProgram()): Duplex {
  const child = spawn(program, ['-6', '-n', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (err) => duplex.destroy(new Error(`${program} could not run: ${err.message}`)));
  child.on('exit', (code, signal) => {
    if (code !== 0 && !duplex.destroyed) duplex.destroy(new Error(`${program} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
  });
  // A pipeline that fails elsewhere destroys this stream: the process must not outlive it.
  duplex.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return duplex;
}
