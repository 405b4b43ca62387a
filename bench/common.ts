import http from 'node:http';
import type { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { LoadResult } from './loadgen';

/** What the benches share: servers on loopback, statistics, a printed table and the exit convention. */

export async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export async function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A numeric BENCH_* setting; a bad value stops the bench naming it. */
export function envNumber(name: string, fallback: number, { integer = false, min = 0 } = {}): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${raw}"`);
  }
  return value;
}

export const fmtRate = (n: number) => Math.round(n).toLocaleString('en-US');

/** Runs a bench: its verdicts print, its exit code is 0 unless the bench itself broke. */
export function runBench(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`${name} failed:`, err);
      process.exitCode = 1;
    },
  );
}

export interface Reply {
  status: number;
  text: string;
}

/** A JSON request; without an agent it uses its own connection, so nothing keeps the process alive afterwards. */
export function httpRequest(
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; agent?: http.Agent | false } = {},
): Promise<Reply> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: options.agent ?? false,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Deletes every key left under a run's private Redis prefix (BullMQ queue metadata, event streams). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A load run, plus the share of it (0–1) the main thread, the server under load, was busy. */
export interface Measured extends LoadResult {
  serverBusy: number;
}

/** The median of several runs, field by field (counts of requests and failures are summed). */
export function combineRuns(runs: Measured[]): Measured {
  const pick = (key: keyof Measured) => median(runs.map((r) => r[key]));
  const sum = (key: keyof Measured) => runs.reduce((acc, r) => acc + r[key], 0);
  return {
    rps: pick('rps'),
    total: sum('total'),
    durationS: sum('durationS'),
    p50: pick('p50'),
    p99: pick('p99'),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    loadgenBusy: pick('loadgenBusy'),
    serverBusy: pick('serverBusy'),
  };
}
