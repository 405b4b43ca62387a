import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_REDIS_URL } from '../helpers/app';
import { freePort, startBerthProcess } from '../helpers/processes';
import { AdminPassphrase } from '../../services/tenants/admin-passphrase';

const BERTH = path.join(__dirname, '../../dist/cli/berth.js');

function run(args: string[], env: Record<string, string>, input?: string) {
  return spawnSync(process.execPath, [BERTH, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000, input });
}

describe('the berth command (built)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('stops at start with one line naming a bad variable', () => {
    const res = run(['serve'], { BERTH_PORT: 'abc', BERTH_DATA_DIR: dataDir });
    expect(res.status).toBe(2);
    expect(res.stderr.trim().split('\n')).toEqual(['berth: BERTH_PORT must be a positive integer, got "abc"']);
  });

  it('stops with a clear line when the port is taken, leaving no Redis behind', async () => {
    const net = await import('node:net');
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = run(['serve'], { BERTH_PORT: String(port), BERTH_HOST: '127.0.0.1', BERTH_DATA_DIR: dataDir, REDIS_URL: '', DATABASE_URL: '' });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(`berth: BERTH_PORT ${port} is already in use on 127.0.0.1`);
      const pidFile = path.join(dataDir, 'redis', 'redis.pid');
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : 0;
      if (pid) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      blocker.close();
    }
  });

  it('migrates a fresh SQLite database, then reports it up to date', () => {
    const env = { BERTH_DATA_DIR: dataDir, DATABASE_URL: '' };
    const first = run(['migrate'], env);
    expect(first.stdout).toMatch(/applied: 20261124_0001_foundation/);
    expect(fs.existsSync(path.join(dataDir, 'berth.sqlite'))).toBe(true);
    expect(run(['migrate'], env).stdout).toMatch(/database is up to date/);
  });

  it('serves on BERTH_PORT, and stops cleanly on SIGTERM', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, [BERTH, 'serve'], {
      env: { ...process.env, BERTH_PORT: String(port), BERTH_HOST: '127.0.0.1', BERTH_DATA_DIR: dataDir, REDIS_URL: TEST_REDIS_URL, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('berth did not start: ' + output)), 50_000);
      child.stdout.on('data', () => {
        if (output.includes('berth is serving')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/cloudron/status`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { activated: boolean }).activated).toBe(false);
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  });

  it('sets the admin passphrase from stdin, stored as a scrypt hash only its owner can read', async () => {
    const short = run(['admin', 'passphrase', '--stdin'], { BERTH_DATA_DIR: dataDir }, 'short\n');
    expect(short.status).toBe(1);
    expect(short.stderr.trim()).toBe('berth: the admin passphrase must be at least 12 characters');
    const noTerminal = run(['admin', 'passphrase'], { BERTH_DATA_DIR: dataDir }, '');
    expect(noTerminal.status).toBe(1);
    expect(noTerminal.stderr).toContain('--stdin');

    const set = run(['admin', 'passphrase', '--stdin'], { BERTH_DATA_DIR: dataDir }, 'correct horse battery staple\n');
    expect(set.status).toBe(0);
    const file = path.join(dataDir, 'admin-passphrase');
    expect(set.stdout.trim()).toBe(`admin passphrase stored in ${file}`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^scrypt\$/);
    expect(await AdminPassphrase.inDataDir(dataDir).verify('correct horse battery staple')).toBe(true);
  });

  it('keeps the admin port closed without a passphrase, saying how to set one; opens it once one is set', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const env = {
      BERTH_PORT: String(port), BERTH_ADMIN_PORT: String(adminPort), BERTH_HOST: '127.0.0.1', BERTH_DATA_DIR: dataDir,
      REDIS_URL: TEST_REDIS_URL, BERTH_REDIS_PREFIX: `cli${path.basename(dataDir).replace(/\W/g, '')}`, DATABASE_URL: '',
    };
    const stop = async (berth: Awaited<ReturnType<typeof startBerthProcess>>) => {
      berth.child.kill('SIGTERM');
      expect(await berth.exited).toBe(0);
    };
    const closed = await startBerthProcess(['serve'], env, 'berth is serving');
    try {
      expect(closed.output()).toContain('the admin API is closed: no admin passphrase is set. Set one with `berth admin passphrase`');
      await expect(fetch(`http://127.0.0.1:${adminPort}/instances`)).rejects.toThrow();
    } finally {
      await stop(closed);
    }

    expect(run(['admin', 'passphrase', '--stdin'], { BERTH_DATA_DIR: dataDir }, 'correct horse battery staple\n').status).toBe(0);
    const open = await startBerthProcess(['serve'], env, 'berth is serving');
    try {
      expect(open.output()).toContain('admin API is serving');
      expect((await fetch(`http://127.0.0.1:${adminPort}/instances`)).status).toBe(401);
    } finally {
      await stop(open);
    }
    // Two starts of `berth serve` on a loaded machine.
  }, 90_000);
});
