import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Real `berth worker` processes for the scheduler bench: the built CLI next to this file (dist/cli/berth.js). */

const BERTH = path.join(__dirname, '../cli/berth.js');
/** The worker's log line once its task workers and loops (the job clock among them) run. */
const READY = 'task workers started';
/** How much of a worker's output is kept for an error report. */
const KEEP_CHARS = 20_000;

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  /** The end of its output (logs at `info`). */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Starts `berth worker` with `env` on top of this process's environment and waits until it says it is ready; its
 * whole output also goes to `logFile` when given. `nodeArgs` go to node (`--cpu-prof`).
 */
export async function startWorker(
  name: string,
  env: Record<string, string>,
  { logFile, nodeArgs = [], timeoutMs = 60_000 }: { logFile?: string; nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, BERTH, 'worker'], {
    env: { ...process.env, BERTH_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 2 * KEEP_CHARS) output = output.slice(-KEEP_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  if (logFile) {
    const file = fs.createWriteStream(logFile);
    child.stdout!.pipe(file);
    child.stderr!.pipe(file);
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not become ready in ${timeoutMs / 1000} s:\n${output.slice(-4000)}`)), timeoutMs);
    const check = () => {
      if (!output.includes(READY)) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve();
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}):\n${output.slice(-4000)}`));
    });
  });
  return { name, child, output: () => output, exited };
}

/** SIGTERM (a graceful stop), then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopWorker(worker: WorkerProcess, graceMs = 15_000): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), graceMs);
  await worker.exited;
  clearTimeout(timer);
}

/** Warning and error lines of a worker's log (pino JSON at level ≥ 40), for the report. */
export function warnings(worker: WorkerProcess): string[] {
  const lines: string[] = [];
  for (const line of worker.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: unknown };
      if ((entry.level ?? 0) >= 40) lines.push(`${entry.msg ?? ''}${entry.err ? `: ${JSON.stringify(entry.err)}` : ''}`);
    } catch {
      // not a log line
    }
  }
  return lines;
}
