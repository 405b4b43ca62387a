/**
 * `npm run bench:api`: requests/second through the whole Berth stack against a bare node:http server that answers
 * the same JSON, measured in the same run by the same load generator, and the ratio of the two.
 *
 * What runs where, and why (the reference machine has 2 cores):
 * - Berth is built in-process exactly as `berth serve` builds it (loadConfig + composeBerth, SQLite in a temp data
 *   dir, the real Redis connection, request logging at BERTH_LOG_LEVEL — default info — into /dev/null so its cost
 *   is counted without flooding the terminal), and listens on 127.0.0.1 on a random port.
 * - The bare server lives on the same main thread, listening next to it. It answers the exact bodies Berth returned
 *   for each route (fetched once, before measuring), JSON.stringify'd per request like Express's res.json.
 *   Only one of the two servers is under load at any time, so each gets the main thread's core to itself.
 * - autocannon runs on a worker thread (./loadgen.ts), i.e. on the other core. Running it on the main thread would
 *   make the servers share their core with the load generator and compress the ratio; running the servers in child
 *   processes would add nothing on two cores but would move Berth out of process.
 * - Both sides' event-loop utilisation is printed: the server's should be ~100% (server-bound, the number means
 *   something); if the load generator's is ~100% while a server's is not, that run was generator-bound.
 *
 * Each route gets a warm-up run per server, then BENCH_ROUNDS rounds (default 1) of one measured run per server,
 * alternating which server goes first; with several rounds the median is reported.
 *
 * Environment: BENCH_DURATION (s, default 5), BENCH_CONNECTIONS (default 10), BENCH_WARMUP (s, default 1, 0 = none),
 * BENCH_ROUNDS (default 1), BERTH_LOG_LEVEL (default info), REDIS_URL (default redis://127.0.0.1:6379).
 *
 * The targets are reported as PASS/FAIL; the exit code is 0 whatever the verdicts, and non-zero only when the
 * benchmark itself failed (a crash, or non-2xx responses / socket errors that make a number meaningless).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { composeBerth, type Berth } from '../server/compose';
import { loadConfig } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { LoadGenerator } from './loadgen';
import { closeServer, combineRuns, fmtRate, listen, runBench, table, envNumber, httpRequest, type Measured } from './common';

interface Target {
  route: string;
  path: string;
  /** Sends the owner's bearer token. */
  auth: boolean;
  /** Smallest acceptable berth/bare ratio. */
  minRatio: number;
}

const TARGETS: Target[] = [
  { route: 'GET /api/v1/cloudron/status', path: '/api/v1/cloudron/status', auth: false, minRatio: 0.5 },
  { route: 'GET /api/v1/profile', path: '/api/v1/profile', auth: true, minRatio: 0.35 },
];

const OWNER = { username: 'benchowner', email: 'benchowner@example.com', password: 'bench-Pa55word!', displayName: 'Bench Owner' };

type Side = 'berth' | 'bare';


/** The baseline: a route table of parsed bodies, serialised per request the way res.json does. */
function bareServer(bodies: Map<string, unknown>): http.Server {
  return http.createServer((req, res) => {
    const body = bodies.get(req.url ?? '');
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const json = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  });
}


const fmtMs = (n: number) => n.toFixed(2);
const pct = (n: number) => `${Math.round(n * 100)}%`;

async function main(): Promise<number> {
  const duration = envNumber('BENCH_DURATION', 5, { min: 1 });
  const connections = envNumber('BENCH_CONNECTIONS', 10, { integer: true, min: 1 });
  const warmup = envNumber('BENCH_WARMUP', 1);
  const rounds = envNumber('BENCH_ROUNDS', 1, { integer: true, min: 1 });

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const logSink = pino.destination('/dev/null');
  let berth: Berth | undefined;
  let loadgen: LoadGenerator | undefined;
  const berthServer = http.createServer();
  let bare: http.Server | undefined;

  try {
    const config = loadConfig({
      BERTH_DATA_DIR: dataDir,
      REDIS_URL: process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379',
      BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL,
    });
    berth = await composeBerth(config, { redisUrl: config.redisUrl as string, logger: createLogger(config.logLevel, logSink) });
    berthServer.on('request', berth.http);
    const berthUrl = await listen(berthServer);

    const activated = await httpRequest('POST', `${berthUrl}/api/v1/cloudron/activate`, { body: OWNER });
    if (activated.status !== 201) throw new Error(`activation answered ${activated.status}: ${activated.text}`);
    const token = (JSON.parse(activated.text) as { token: string }).token;
    const headersFor = (target: Target): Record<string, string> => (target.auth ? { authorization: `Bearer ${token}` } : {});

    // The exact bodies Berth answers, which the bare server then serves.
    const bodies = new Map<string, unknown>();
    for (const target of TARGETS) {
      const reply = await httpRequest('GET', `${berthUrl}${target.path}`, { headers: headersFor(target) });
      if (reply.status !== 200) throw new Error(`${target.route} answered ${reply.status}: ${reply.text}`);
      bodies.set(target.path, JSON.parse(reply.text));
    }
    bare = bareServer(bodies);
    const bareUrl = await listen(bare);
    for (const target of TARGETS) {
      const [fromBerth, fromBare] = await Promise.all([
        httpRequest('GET', `${berthUrl}${target.path}`, { headers: headersFor(target) }),
        httpRequest('GET', `${bareUrl}${target.path}`),
      ]);
      if (fromBare.text !== fromBerth.text) throw new Error(`bare body differs from Berth's for ${target.route}`);
    }

    loadgen = await LoadGenerator.start();
    const lg = loadgen;
    const measure = async (target: Target, side: Side, seconds: number): Promise<Measured> => {
      const before = performance.eventLoopUtilization();
      const result = await lg.run({
        url: `${side === 'berth' ? berthUrl : bareUrl}${target.path}`,
        headers: headersFor(target),
        duration: seconds,
        connections,
      });
      return { ...result, serverBusy: performance.eventLoopUtilization(before).utilization };
    };

    console.log(
      `bench:api — node ${process.version}, ${os.cpus().length} CPUs, ${connections} connections, ${duration}s per run, ` +
        `${warmup}s warm-up, ${rounds} round(s), log level ${config.logLevel} → /dev/null, SQLite in ${dataDir}`,
    );

    const runs = new Map<string, Measured[]>();
    const key = (target: Target, side: Side) => `${target.path} ${side}`;
    if (warmup > 0) {
      for (const target of TARGETS) for (const side of ['berth', 'bare'] as const) await measure(target, side, warmup);
    }
    for (let round = 0; round < rounds; round++) {
      for (const [i, target] of TARGETS.entries()) {
        const order: Side[] = (round + i) % 2 === 0 ? ['berth', 'bare'] : ['bare', 'berth'];
        for (const side of order) {
          const run = await measure(target, side, duration);
          runs.set(key(target, side), [...(runs.get(key(target, side)) ?? []), run]);
          process.stdout.write(
            `  ${target.route} ${side.padEnd(5)} ${fmtRate(run.rps).padStart(7)} req/s  ` +
              `(server busy ${pct(run.serverBusy)}, load generator busy ${pct(run.loadgenBusy)})\n`,
          );
        }
      }
    }

    const summary: string[][] = [];
    const latency: string[][] = [];
    const notes: string[] = [];
    let broken = false;
    for (const target of TARGETS) {
      const b = combineRuns(runs.get(key(target, 'berth'))!);
      const n = combineRuns(runs.get(key(target, 'bare'))!);
      const ratio = b.rps / n.rps;
      const failed = [b, n].some((r) => r.non2xx > 0 || r.errors > 0 || r.total === 0);
      if (failed) {
        broken = true;
        notes.push(`${target.route}: non-2xx berth=${b.non2xx} bare=${n.non2xx}, socket errors berth=${b.errors} bare=${n.errors}`);
      }
      if (n.serverBusy < 0.9 && n.loadgenBusy > 0.95) {
        notes.push(`${target.route}: the bare run looks load-generator bound (server ${pct(n.serverBusy)} busy); the ratio is flattering`);
      }
      if (b.serverBusy < 0.9) notes.push(`${target.route}: Berth's event loop was only ${pct(b.serverBusy)} busy (waiting on I/O or on the load generator)`);
      summary.push([
        target.route,
        fmtRate(b.rps),
        fmtRate(n.rps),
        `${ratio.toFixed(2)}×`,
        `≥ ${target.minRatio.toFixed(2)}×`,
        failed ? 'ERROR' : ratio >= target.minRatio ? 'PASS' : 'FAIL',
      ]);
      latency.push([target.route, fmtMs(b.p50), fmtMs(b.p99), fmtMs(n.p50), fmtMs(n.p99), pct(b.serverBusy), pct(n.serverBusy), pct(b.loadgenBusy), pct(n.loadgenBusy)]);
    }

    console.log();
    console.log(table(['route', 'berth req/s', 'bare req/s', 'ratio', 'target', 'verdict'], summary));
    console.log();
    console.log(
      table(
        ['latency (ms)', 'berth p50', 'berth p99', 'bare p50', 'bare p99', 'berth busy', 'bare busy', 'lg@berth', 'lg@bare'],
        latency,
      ),
    );
    console.log('\n(busy: event-loop utilisation of the server thread; lg: of the load-generator thread)');
    for (const note of notes) console.log(`note: ${note}`);
    return broken ? 1 : 0;
  } finally {
    await loadgen?.close();
    await closeServer(berthServer);
    if (bare) await closeServer(bare);
    await berth?.close();
    logSink.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench('bench:api', main);
