import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const BERTH = path.join(__dirname, '../../dist/cli/berth.js');

export interface BerthProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs the built `berth` command and waits until its log says `ready`. */
export async function startBerthProcess(args: string[], env: Record<string, string>, ready: string): Promise<BerthProcess> {
  const child = spawn(process.execPath, [BERTH, ...args], {
    env: { ...process.env, BERTH_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth ${args.join(' ')} did not become ready:\n${output}`)), 20_000);
    const check = () => {
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`berth ${args.join(' ')} exited (${code}):\n${output}`));
    });
  });
  return { child, output: () => output, exited };
}

/**
 * Several distinct free ports: the listeners are held open together until all are chosen, since the kernel may hand
 * the same just-released port to two calls of `freePort` in a row (pebble once got one port for two listeners).
 */
/**
 * A `berth worker` process on a test app's database, Redis prefix and data dir (with `env` on top), started and
 * recorded in `workers`, so the test's teardown can kill whatever is left.
 */
export async function startWorkerFor(
  app: { databaseUrl: string; dataDir: string; berth: { config: { redisPrefix: string } } },
  redisUrl: string,
  env: Record<string, string>,
  workers: BerthProcess[],
): Promise<BerthProcess> {
  const worker = await startBerthProcess(
    ['worker'],
    { ...env, DATABASE_URL: app.databaseUrl, REDIS_URL: redisUrl, BERTH_REDIS_PREFIX: app.berth.config.redisPrefix, BERTH_DATA_DIR: app.dataDir },
    'task workers started',
  );
  workers.push(worker);
  return worker;
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own, on TCP, that the test may stop and start again with its data kept. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
