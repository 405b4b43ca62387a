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
  ];

  let stopping = false;
  let child: ChildProcess;
  const launch = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      const proc = spawn(binary, args, { stdio: 'ignore' });
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
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
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
