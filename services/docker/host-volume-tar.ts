import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';

/**
 * Reading a whole volume from the host's side: when the engine runs on this machine, `tar` over the volume's
 * folder is the same archive the engine would stream through its API (`GET /containers/{id}/archive`), at
 * about twice the speed (bench/backup), because the engine's copy goes through its own tar writer and an HTTP
 * stream. Used only when Berth can prove the folder is the one the engine mounts; any doubt means the API.
 */

/**
 * Whether host reads can give the engine's archive at all: Berth is root (it must read every file, or tar fails
 * half-way instead of falling back), the engine maps no user ids (with userns-remap or rootless, the files on
 * disk carry shifted owners that the engine's archive maps back), and `tar` is GNU tar (`--sort`, `--transform`).
 */
export async function hostReadsApply(docker: Docker): Promise<boolean> {
  if (process.geteuid?.() !== 0) return false;
  const info = (await docker.info().catch(() => undefined)) as { SecurityOptions?: string[] } | undefined;
  if (!info || (info.SecurityOptions ?? []).some((option) => /name=(userns|rootless)/.test(option))) return false;
  const version = await new Promise<string>((resolve) => execFile('tar', ['--version'], (err, stdout) => resolve(err ? '' : stdout)));
  return /GNU tar/.test(version);
}

/** The host folder of the volume mounted at `mountPath` in the container, if this machine can see it; else undefined. */
export async function hostFolderOf(container: Docker.Container, mountPath: string): Promise<string | undefined> {
  const info = await container.inspect().catch(() => undefined);
  const mount = info?.Mounts?.find((m) => m.Type === 'volume' && m.Destination === mountPath);
  if (!mount?.Source || !path.isAbsolute(mount.Source)) return undefined;
  const local = await fs.promises.stat(mount.Source, { bigint: true }).catch(() => undefined);
  if (!local?.isDirectory()) return undefined;
  // A same-named folder on another machine (a worker far from the engine) must not pass for the volume: the
  // engine's own view of the folder has to carry the very same modification time, to the nanosecond.
  const engine = await engineStat(container, mountPath);
  if (!engine || !engine.mtime) return undefined;
  return nanoseconds(engine.mtime) === local.mtimeNs ? mount.Source : undefined;
}

/**
 * A tar stream of `folder`'s contents with `name/` in front of every member, as the engine names the members of
 * an archive of `/…/name`, in name order as the engine has them: owners as numbers, symlinks stored as links,
 * file capabilities kept (the one extended attribute the engine keeps), sockets left out (as the engine does).
 * tar's exit 1 ("file changed as we read it", on a live app) is what the engine's copy does silently too; worse
 * ends the stream with tar's message.
 */
export function tarFolder(folder: string, name: string): Readable {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`not a plain member name: ${name}`);
  const args = ['-c', '-f', '-', '--numeric-owner', '--sort=name', '--xattrs', '--xattrs-include=security.capability'];
  const child = spawn('tar', [...args, `--transform=s,^\\.,${name},S`, '-C', folder, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-1000)));
  child.stdout.pipe(out, { end: false });
  let exit: number | null | undefined;
  let drained = false;
  const finish = () => {
    if (exit === undefined || !drained) return;
    if (exit === 0 || exit === 1) out.end();
    else out.destroy(new Error(`tar of ${folder} failed (${exit === null ? 'killed' : `exit ${exit}`}): ${stderr.replace(/tar: [^\n]*socket ignored\n?/g, '').trim()}`));
  };
  child.stdout.on('end', () => {
    drained = true;
    finish();
  });
  child.on('error', (err) => out.destroy(new Error(`tar could not run: ${err.message}`)));
  child.on('close', (code) => {
    exit = code;
    finish();
  });
  // A reader that gives up (a failed backup) must not leave tar running.
  out.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return out;
}

/** The engine's stat of a path in the container (the X-Docker-Container-Path-Stat header of a HEAD on its archive). */
async function engineStat(container: Docker.Container, containerPath: string): Promise<{ mtime?: string } | undefined> {
  const res = (await container.infoArchive({ path: containerPath }).catch(() => undefined)) as { headers?: Record<string, string>; resume?: () => void } | undefined;
  // The answer to a HEAD has no body, but left unread it holds its socket.
  res?.resume?.();
  const header = res?.headers?.['x-docker-container-path-stat'];
  if (!header) return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { mtime?: string };
  } catch {
    return undefined;
  }
}

/** An RFC 3339 time with up to nine fraction digits, as nanoseconds since the epoch. */
export function nanoseconds(rfc3339: string): bigint | undefined {
  const match = /^(.+?T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
