/**
 * `npm run bench:backup`: how fast Berth backs an app up (format tgz, unencrypted and encrypted) compared with
 * `tar -czf` of the same folder in the same run. Target: Berth's MB/s ≥ 0.8 × tar's, for the unencrypted tgz.
 *
 * Data: a folder of BENCH_BACKUP_MB megabytes (default 1024): 70% in four large files of random bytes (media,
 * archives: incompressible), 30% in small files of 1–64 KiB of text-like lines (compressible), in nested folders.
 * It is written to a temp folder on the host once, then copied into the app's /app/data (the container's
 * `putArchive`, a tar stream of the folder), so both sides read the very same bytes.
 *
 * Berth: a real Berth composed in-process with workers (SQLite in a temp data dir, the real Redis under a random
 * prefix, the Docker engine at DOCKER_HOST), activated; an app (image berth-test/web:1, localstorage) installed
 * through the API. The backup target is the filesystem default, `<data dir>/backups`. Measured: `POST
 * /api/v1/apps/{id}/backup` → the task ended (polled every BENCH_POLL_MS), which covers stopping the app, the
 * tar of the volume (host tar on a local engine, else the engine's), pigz or gzip (and AES-256-GCM), the
 * SHA-256, writing the files, and starting the app again with its health wait. MB/s is the data folder's size
 * over that time.
 * Baseline: `tar -czf <file> -C <folder> .` on the host, same folder, same disk, timed from spawn to exit.
 * Sides alternate BENCH_BACKUP_ROUNDS times (default 1) and the median of each is reported.
 *
 * The rsync format (unencrypted, once after the tgz rounds): a first, full rsync backup of the same data, then 1%
 * of the files (small ones, at least one) are changed on the host and copied into the app, and a second rsync
 * backup is timed; it links every unchanged file to the first. Reported: both times and second/first (target:
 * well under 1; it still reads and hashes every byte, because the volume comes as one tar stream).
 *
 * Clean-up, on success, failure or Ctrl-C: Berth closed, the app's containers and volumes and the tenant's
 * network removed, the Redis keys under the prefix and every temp folder deleted. Exit code 0 whatever the
 * verdict, 1 only when the bench itself broke.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import pino from 'pino';
import type { Berth } from '../server/compose';
import { LABELS } from '../services/apps/app-runtime';
import { createDocker } from '../services/docker/docker-client';
import { benchConfig, cleanUpRun, expectStatus, startBerth, type Running } from './berth-box';
import { closeServer, envNumber, httpRequest, median, runBench, table } from './common';

const IMAGE = 'berth-test/web:1';
const MANIFEST = { id: 'io.berth.bench.web', version: '1.0.0', title: 'Bench web', dockerImage: IMAGE, httpPort: 8080, healthCheckPath: '/healthz', addons: { localstorage: {} } };
const DOMAIN = 'bench-backup.test';
const MIN_RATIO = 0.8;
const STEP_LIMIT_MS = 30 * 60_000;
const MB = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes the data folder: four large random files (70%) and many small text-like ones (30%). Returns its bytes. */
function writeData(dir: string, totalMb: number): number {
  let written = 0;
  const large = Math.floor((totalMb * MB * 0.7) / 4);
  const chunk = 4 * MB;
  for (let i = 0; i < 4; i++) {
    const fd = fs.openSync(path.join(dir, `large-${i}.bin`), 'w');
    for (let left = large; left > 0; left -= chunk) fs.writeSync(fd, randomBytes(Math.min(chunk, left)));
    fs.closeSync(fd);
    written += large;
  }
  const words = ['alpha', 'berth', 'backup', 'volume', 'tenant', 'config', 'restore', 'delta', 'kilo', 'zulu'];
  const smallTotal = totalMb * MB - written;
  for (let n = 0; written < totalMb * MB && smallTotal > 0; n++) {
    const folder = path.join(dir, 'small', String(n % 50).padStart(2, '0'));
    if (n < 50) fs.mkdirSync(folder, { recursive: true });
    const size = Math.min(1024 + ((n * 7919) % (63 * 1024)), totalMb * MB - written);
    const seed = randomBytes(Math.ceil(size / 8));
    let text = '';
    for (let i = 0; text.length < size; i++) text += `${words[seed[i % seed.length] % words.length]} ${seed[i % seed.length]}${i % 12 === 11 ? '\n' : ' '}`;
    fs.writeFileSync(path.join(folder, `f${n}.txt`), text.slice(0, size));
    written += size;
  }
  return written;
}

/** Seconds `tar -czf` takes for the folder. */
function timeTar(dir: string, out: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-czf', out, '-C', dir, '.'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`tar -czf exited ${code}: ${stderr}`))));
  });
}

async function api(run: Running, method: string, route: string, status: number, body?: unknown): Promise<Record<string, unknown>> {
  const reply = await httpRequest(method, `${run.url}/api/v1${route}`, { body, headers: { authorization: `Bearer ${run.token}` } });
  expectStatus(reply, status, `${method} /api/v1${route}`);
  return JSON.parse(reply.text || '{}') as Record<string, unknown>;
}

async function waitTask(run: Running, taskId: number, pollMs: number, signal: AbortSignal): Promise<Record<string, unknown>> {
  const end = Date.now() + STEP_LIMIT_MS;
  for (;;) {
    if (signal.aborted) throw new Error('interrupted');
    const task = await api(run, 'GET', `/tasks/${taskId}`, 200);
    if (!task.active && !task.pending) {
      if (!task.success) throw new Error(`task ${taskId} failed: ${JSON.stringify(task.error)}`);
      return task;
    }
    if (Date.now() > end) throw new Error(`task ${taskId} did not end within ${STEP_LIMIT_MS / 1000} s`);
    await sleep(pollMs);
  }
}

/** Installs the app and copies the data folder into its /app/data. */
async function installWithData(run: Running, docker: Docker, dir: string, pollMs: number, installed: Set<string>, signal: AbortSignal): Promise<string> {
  const answer = await api(run, 'POST', '/apps/install', 202, { manifest: MANIFEST, location: 'data', domain: DOMAIN, accessRestriction: null });
  const appId = String(answer.id);
  installed.add(appId);
  await waitTask(run, Number(answer.taskId), pollMs, signal);
  const [container] = await docker.listContainers({ all: true, filters: { label: [`${LABELS.app}=${appId}`] } });
  if (!container) throw new Error(`app ${appId} has no container`);
  const tar = spawn('tar', ['-cf', '-', '-C', dir, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await docker.getContainer(container.Id).putArchive(tar.stdout, { path: '/app/data' });
  return appId;
}

/** Changes 1% of the files (small ones; at least one) in the folder and copies just those into the app's /app/data. */
async function changeOnePercent(docker: Docker, appId: string, dir: string): Promise<{ changed: number; total: number }> {
  const all = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
  const chosen = all.filter((f) => f.startsWith('small')).slice(0, Math.max(1, Math.round(all.length / 100)));
  for (const file of chosen) fs.appendFileSync(path.join(dir, file), ' changed for the second rsync backup\n');
  const [container] = await docker.listContainers({ all: true, filters: { label: [`${LABELS.app}=${appId}`] } });
  const tar = spawn('tar', ['-cf', '-', '-C', dir, ...chosen], { stdio: ['ignore', 'pipe', 'inherit'] });
  await docker.getContainer(container.Id).putArchive(tar.stdout, { path: '/app/data' });
  return { changed: chosen.length, total: all.length };
}

/**
 * From the task's log: seconds from "stopping <app>" to "started <app> again", which is the stop, the copy
 * (tar, gzip, encryption, checksum, write) and the container start, without the health wait.
 */
async function copySecs(run: Running, taskId: number): Promise<number> {
  const reply = await httpRequest('GET', `${run.url}/api/v1/tasks/${taskId}/logs`, { headers: { authorization: `Bearer ${run.token}` } });
  expectStatus(reply, 200, `GET /api/v1/tasks/${taskId}/logs`);
  const at = (pattern: RegExp) => {
    const line = reply.text.split('\n').find((l) => pattern.test(l));
    if (!line) throw new Error(`task ${taskId}'s log has no line matching ${pattern}`);
    return Date.parse(line.split(' ')[0]);
  };
  return (at(/^\S+ started .* again$/) - at(/^\S+ stopping /)) / 1000;
}

/** Seconds one Berth backup of the app takes (whole task, and its copy phase), and the bytes it stored. */
async function timeBackup(run: Running, appId: string, pollMs: number, signal: AbortSignal): Promise<{ secs: number; copy: number; stored: number }> {
  const t0 = performance.now();
  const { taskId } = await api(run, 'POST', `/apps/${appId}/backup`, 202);
  const task = await waitTask(run, Number(taskId), pollMs, signal);
  const secs = (performance.now() - t0) / 1000;
  const backupId = (task.result as { backupId: string }).backupId;
  const backup = await api(run, 'GET', `/backups/${backupId}`, 200);
  return { secs, copy: await copySecs(run, Number(taskId)), stored: Number(backup.size) };
}

async function main(): Promise<number> {
  const totalMb = envNumber('BENCH_BACKUP_MB', 1024, { integer: true, min: 10 });
  const rounds = envNumber('BENCH_BACKUP_ROUNDS', 1, { integer: true, min: 1 });
  const pollMs = envNumber('BENCH_POLL_MS', 100, { min: 1 });
  const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const prefix = `bench-backup-${randomBytes(6).toString('hex')}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-backup-'));
  const dataDir = path.join(tmp, 'berth');
  const folder = path.join(tmp, 'data');
  const logSink = pino.destination('/dev/null');
  const config = benchConfig(dataDir, redisUrl, prefix);
  const berths: Berth[] = [];
  const servers: http.Server[] = [];
  const installed = new Set<string>();
  const instanceIds = new Set<string>();
  const docker = createDocker(config.dockerHost);
  // Ctrl-C / SIGTERM end the run at the next poll, so the clean-up in `finally` still happens.
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await docker.ping().catch((err: unknown) => {
      throw new Error(`the Docker engine does not answer (${(err as Error).message}); export DOCKER_HOST (bash scripts/dockerd.sh start prints it)`);
    });
    await docker.getImage(IMAGE).inspect().catch(() => {
      throw new Error(`the image ${IMAGE} is not on the engine: run bash scripts/build-images.sh --test`);
    });
    fs.mkdirSync(folder);
    const bytes = writeData(folder, totalMb);
    const files = fs.readdirSync(folder, { recursive: true }).length;
    console.log(`bench:backup: ${(bytes / MB).toFixed(0)} MB in ${files} files and folders (4 large random files, the rest small text files)`);

    const run = await startBerth(config, redisUrl, logSink, { workers: true, domain: DOMAIN }, { berths, servers });
    instanceIds.add(run.instanceId);
    const appId = await installWithData(run, docker, folder, pollMs, installed, interrupted.signal);

    const sides = { tar: [] as number[], plain: [] as number[], encrypted: [] as number[], plainCopy: [] as number[], encryptedCopy: [] as number[] };
    const stored = { tar: 0, plain: 0, encrypted: 0 };
    const tarFile = path.join(tmp, 'baseline.tar.gz');
    for (let round = 0; round < rounds; round++) {
      sides.tar.push(await timeTar(folder, tarFile));
      stored.tar = fs.statSync(tarFile).size;
      fs.rmSync(tarFile);
      await api(run, 'POST', '/settings/backup_config', 200, { format: 'tgz', password: null });
      const plain = await timeBackup(run, appId, pollMs, interrupted.signal);
      sides.plain.push(plain.secs);
      sides.plainCopy.push(plain.copy);
      stored.plain = plain.stored;
      await api(run, 'POST', '/settings/backup_config', 200, { password: 'bench backup passphrase' });
      const encrypted = await timeBackup(run, appId, pollMs, interrupted.signal);
      sides.encrypted.push(encrypted.secs);
      sides.encryptedCopy.push(encrypted.copy);
      stored.encrypted = encrypted.stored;
      // Old backups take disk space only: remove them between rounds.
      fs.rmSync(path.join(dataDir, 'backups', run.instanceId), { recursive: true, force: true });
      fs.mkdirSync(path.join(dataDir, 'backups', run.instanceId), { recursive: true });
    }

    // The rsync format: a full first backup, then a second one after 1% of the files changed.
    await api(run, 'POST', '/settings/backup_config', 200, { format: 'rsync', password: null });
    const rsyncFirst = await timeBackup(run, appId, pollMs, interrupted.signal);
    const { changed, total } = await changeOnePercent(docker, appId, folder);
    const rsyncSecond = await timeBackup(run, appId, pollMs, interrupted.signal);

    const mbs = (secs: number) => bytes / MB / secs;
    const tarRate = mbs(median(sides.tar));
    const row = (name: string, secs: number[], size: number) => {
      const rate = mbs(median(secs));
      return [name, median(secs).toFixed(2), rate.toFixed(1), `${(size / MB).toFixed(0)}`, `${(rate / tarRate).toFixed(2)}×`];
    };
    console.log(
      table(['side', 's', 'MB/s', 'stored MB', 'vs tar'], [
        row('tar -czf (baseline)', sides.tar, stored.tar),
        row('Berth app backup, tgz', sides.plain, stored.plain),
        row('Berth app backup, tgz encrypted', sides.encrypted, stored.encrypted),
        row('  its copy phase, tgz (context)', sides.plainCopy, stored.plain),
        row('  its copy phase, encrypted (context)', sides.encryptedCopy, stored.encrypted),
        row('Berth app backup, rsync, first (full)', [rsyncFirst.secs], rsyncFirst.stored),
        row(`Berth app backup, rsync, second (${changed} files changed)`, [rsyncSecond.secs], rsyncSecond.stored),
        row('  its copy phase, rsync first (context)', [rsyncFirst.copy], rsyncFirst.stored),
        row('  its copy phase, rsync second (context)', [rsyncSecond.copy], rsyncSecond.stored),
      ]),
    );
    const ratio = mbs(median(sides.plain)) / tarRate;
    console.log(`tgz: Berth ${ratio.toFixed(2)}× tar -czf (target ≥ ${MIN_RATIO}×): ${ratio >= MIN_RATIO ? 'PASS' : 'FAIL'}`);
    console.log(`tgz encrypted: ${(mbs(median(sides.encrypted)) / tarRate).toFixed(2)}× tar -czf (context; the target is for tgz)`);
    console.log('Berth\'s time is the whole task: stopping the app, the copy, starting it and its health wait. The copy phase is the');
    console.log('task log\'s "stopping" → "started again" (stop, tar, gzip/encryption, SHA-256, write, start).');
    console.log(
      `rsync second backup after ${changed} of ${total} files changed: ${rsyncSecond.secs.toFixed(2)} s vs the first's ${rsyncFirst.secs.toFixed(2)} s = ` +
        `${(rsyncSecond.secs / rsyncFirst.secs).toFixed(2)}× (copy phase ${(rsyncSecond.copy / rsyncFirst.copy).toFixed(2)}×); unchanged files are hard links`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const server of servers) await closeServer(server).catch(() => undefined);
    for (const berth of berths) await berth.close().catch((err: unknown) => console.error('closing Berth failed:', err));
    await cleanUpRun({ docker, redisUrl, prefix, apps: installed, instanceIds });
    logSink.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runBench('bench:backup', main);
