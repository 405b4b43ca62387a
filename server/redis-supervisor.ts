import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../services/core/logger';
import { ConfigError } from '../services/core/config';

export interface SupervisedRedis {
  /** `unix:///…/redis.sock`, for REDIS_URL-style consumers. */
  url: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * The embedded default: when REDIS_URL is unset, `berth serve` runs a private redis-server on a unix socket
 * in the data dir (no TCP port), with an append-only file so queued work survives restarts and
 * `noeviction` so BullMQ's keys are never dropped. It is restarted if it dies and stopped on exit.
 */
export async function startSupervisedRedis(dataDir: string, logger: Logger, binary = 'redis-server'): Promise<SupervisedRedis> {
  const dir = path.join(dataDir, 'redis');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, 'redis.sock');
  await claimDataDir(dir, logger);
  const args = [
    '--port', '0',
    '--unixsocket', socket,
    '--unixsocketperm', '700',
    '--dir', dir,
    '--appendonly', 'yes',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no',
    '--logfile', path.join(dir, 'redis.log'),
    '--pidfile', path.join(dir, 'redis.pid'),
  ];

  let stopping = false;
  let child: ChildProcess;
  const launch = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      // Its own process group: a Ctrl-C in Berth's terminal is Berth's to handle, and Berth stops Redis last.
      const proc = spawn(binary, args, { stdio: 'ignore', detached: true });
      proc.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT'
            ? new ConfigError(`${binary} not found: install it (apt-get install redis-server) or set REDIS_URL to an existing Redis`)
            : err,
        ),
      );
      proc.once('spawn', () => resolve(proc));
      proc.once('exit', (code, signal) => {
        if (stopping) return;
        logger.error({ code, signal }, 'private redis-server exited; restarting it');
        setTimeout(() => void launch().then((p) => (child = p), (err) => logger.error({ err }, 'restarting redis-server failed')), 1000);
      });
    });

  child = await launch();
  await waitUntilReady(socket);
  logger.info({ socket }, 'private redis-server started');

  return {
    url: `unix://${socket}`,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        const done = () => {
          fs.rmSync(path.join(dir, 'owner.pid'), { force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

/**
 * One Berth per data dir when it runs the private Redis. `owner.pid` names the Berth process; a live owner
 * means another `berth serve` uses this data dir (refused). A dead owner may have left its redis-server behind
 * (Berth was killed with SIGKILL): that orphan is stopped before a new one starts on the same files.
 */
async function claimDataDir(dir: string, logger: Logger): Promise<void> {
  const ownerFile = path.join(dir, 'owner.pid');
  const owner = readPid(ownerFile);
  if (owner && owner !== process.pid && isAlive(owner)) {
    throw new ConfigError(`another berth process (pid ${owner}) runs the private Redis of this BERTH_DATA_DIR; stop it or use another data dir`);
  }
  const orphan = readPid(path.join(dir, 'redis.pid'));
  if (orphan && isAlive(orphan) && isRedis(orphan)) {
    logger.warn({ pid: orphan }, 'stopping a redis-server left behind by a previous berth process');
    process.kill(orphan, 'SIGTERM');
    for (let i = 0; i < 100 && isAlive(orphan); i++) await new Promise((r) => setTimeout(r, 50));
  }
  fs.writeFileSync(ownerFile, String(process.pid));
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isRedis(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return false;
  }
}

async function waitUntilReady(socket: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${socket} within ${READY_TIMEOUT_MS / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      client.disconnect();
    }
  }
}
