import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activate, OWNER, startTestApp, type TestApp, type TestAppOptions } from '../helpers/app';
import { listen, removeEngineObjects } from '../helpers/apps';

export const BERTH = path.join(__dirname, '../../dist/cli/berth.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** The fake home: HOME, and XDG_CONFIG_HOME beneath it. */
  home: string;
  env?: Record<string, string | undefined>;
  /** Written to stdin, which then closes (stdin is /dev/null without it). */
  input?: string;
  timeoutMs?: number;
}

/** A home of the test's own, so no run reads or writes the real ~/.config. */
export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-home-'));
}

/** Where the CLI keeps its logins under a temp home. */
export const configFile = (home: string) => path.join(home, 'xdg', 'berth', 'config.json');

/** The environment a run gets: this one without any BERTH_* setting, pointed at the temp home. */
export function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BERTH_')) env[k] = v;
  return { ...env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'xdg'), ...extra };
}

/**
 * Runs the built `berth` asynchronously: the server under test lives in this same process, so a blocking
 * spawnSync would stop it from answering.
 */
export function runBerth(args: string[], options: RunOptions): Promise<CliResult> {
  return startBerth(args, options).result;
}

/** Like runBerth, with the child at hand (to signal it) and its output so far. */
export function startBerth(args: string[], options: RunOptions) {
  const child = spawn(process.execPath, [BERTH, ...args], {
    env: cliEnv(options.home, options.env),
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  return { child, stdout: () => stdout, result: collect(child, options) };
}

/** Resolves once `check` is true (polled), or fails after `ms`. */
export async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `berth` under `script`, which gives it a terminal (a pseudo-tty) on stdin, stdout and stderr. */
/**
 * A key is typed `afterMs` after the start, or, with `afterOutput`, that long after the terminal first shows
 * that text (a secret typed before berth turned echo off would be echoed).
 */
export function runBerthInTerminal(args: string[], options: RunOptions & { keys?: Array<{ afterMs: number; text: string; afterOutput?: string }> }) {
  const command = [process.execPath, BERTH, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qefc', `stty cols 100 rows 30; exec ${command}`, '/dev/null'], {
    env: cliEnv(options.home, options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.on('error', () => undefined); // a key sent after berth ended
  const timers: NodeJS.Timeout[] = [];
  const type = (key: { afterMs: number; text: string }) => timers.push(setTimeout(() => child.stdin!.write(key.text), key.afterMs));
  let shown = '';
  const waiting = (options.keys ?? []).filter((key) => key.afterOutput !== undefined);
  (options.keys ?? []).filter((key) => key.afterOutput === undefined).forEach(type);
  child.stdout!.on('data', (d: Buffer) => {
    shown += d.toString('utf8');
    for (const key of waiting.filter((k) => shown.includes(k.afterOutput!))) {
      waiting.splice(waiting.indexOf(key), 1);
      type(key);
    }
  });
  child.on('close', () => timers.forEach(clearTimeout));
  return collect(child, { ...options, input: undefined, keepStdinOpen: true });
}

function collect(child: ReturnType<typeof spawn>, options: RunOptions & { keepStdinOpen?: boolean }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  if (options.input !== undefined) child.stdin!.end(options.input);
  const timeout = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      if (options.keepStdinOpen) child.stdin?.destroy();
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** stderr as lines, without empty ones. */
export const errLines = (result: CliResult) => result.stderr.split('\n').filter((l) => l.trim());

export interface CliBox {
  app: TestApp;
  /** The owner's token (from activation). */
  token: string;
  server: Awaited<ReturnType<typeof listen>>;
  /** The admin API's listener, with `adminPassphrase`. */
  admin?: Awaited<ReturnType<typeof listen>>;
  /** A temp home whose default profile is logged in as the owner (with `login`). */
  home: string;
  close(): Promise<void>;
}

/**
 * A real Berth for the CLI: activated, listening on a loopback port, and a temp home; with `login`, the
 * built `berth` has logged in there with the owner's password; with `adminPassphrase`, its admin API
 * listens on another port, opened by that passphrase. close() also removes what it left in the engine.
 */
export async function startCliBox(options: TestAppOptions & { login?: boolean; adminPassphrase?: string } = {}): Promise<CliBox> {
  const { login, adminPassphrase, ...appOptions } = options;
  const app = await startTestApp(appOptions);
  const { token } = await activate(app);
  const server = await listen(app);
  if (adminPassphrase) await app.berth.admin.passphrase.set(adminPassphrase);
  const admin = adminPassphrase ? await listen(app, 'admin') : undefined;
  const home = tempHome();
  if (login) {
    const res = await runBerth(['login', server.url, '-u', OWNER.username, '--password-stdin'], { home, input: OWNER.password });
    if (res.code !== 0) throw new Error(`berth login failed: ${res.stderr}`);
  }
  return {
    app,
    token,
    server,
    admin,
    home,
    async close() {
      await server.close();
      await admin?.close();
      if (appOptions.workers) await removeEngineObjects(app);
      await app.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
