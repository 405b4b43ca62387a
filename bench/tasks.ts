/**
 * `npm run bench:tasks`: throughput of `_noop` tasks through the whole Berth task path against raw BullMQ jobs with
 * a no-op processor, measured in the same run on the same Redis, and the ratio of the two (target: Berth ≥ 0.5×).
 *
 * What is measured:
 * - Berth: loadConfig + composeBerth with `workers: true` and BERTH_TEST_TASKS=1, SQLite in a temp data dir, the
 *   real Redis, logging silent by default. Each task goes the production way: `berth.tasks.create` inserts the row
 *   and enqueues a BullMQ job carrying its id; the in-process TaskRunner's worker claims the row (pending → active),
 *   runs the handler and writes `success`. A task is done when its row is `success`: the bench polls
 *   `count(*) … state = 'success'` every BENCH_POLL_MS (not per task), and the end of the run is the newest
 *   `ended_at`, so the poll interval does not blur the rate.
 * - Raw: a plain BullMQ Queue + Worker, no-op processor, on the same Redis and key prefix, with the same connection
 *   options as Berth's (the producer on a `createRedis` connection, the worker on `redisOptions`), the same
 *   concurrency as Berth's `_noop` workers (32, or BERTH_TASK_CONCURRENCY="_noop=N") and the same job options
 *   (own job id, removeOnComplete/removeOnFail, 1 attempt). A job is done at the worker's `completed` event.
 * - Creation is what a client at scale does: batches of BENCH_BATCH concurrent calls (Promise.all), one batch after
 *   the other. Berth: `berth.tasks.create`; raw: `queue.add`, one call per job, deliberately not addBulk, so both
 *   sides pay one producer round trip per item.
 * - Rate = N / (last completion − first create call). Latency is creation → active: for Berth the rows'
 *   `created_at` → `started_at`, for raw `job.timestamp` → `job.processedOn` (epoch ms on both sides).
 * - Everything Node-side (producers, workers, SQLite) shares the main thread, so "busy" (event-loop utilisation)
 *   near 100% means the side was CPU-bound in this process; Redis runs in its own process.
 *
 * Each side gets a warm-up of BENCH_WARMUP tasks first (JIT, connections, SQLite pages), then BENCH_ROUNDS rounds of
 * one measured run per side, alternating which side goes first; with several rounds the median is reported.
 * Both queues live under a random BERTH_REDIS_PREFIX (`bench-tasks-<hex>`), obliterated and swept at the end.
 *
 * Environment: BENCH_TASKS (default 5000), BENCH_BATCH (default 50), BENCH_WARMUP (tasks per side, default 500,
 * 0 = none), BENCH_ROUNDS (default 1), BENCH_POLL_MS (default 25), BENCH_CPU_PROFILE (a directory: writes a
 * .cpuprofile of each measured Berth run), BERTH_TASK_CONCURRENCY, BERTH_LOG_LEVEL (default silent),
 * REDIS_URL (default redis://127.0.0.1:6379).
 *
 * The target is reported as PASS/FAIL; the exit code is 0 whatever the verdict, and non-zero only when the
 * benchmark itself failed (a crash, a task ending in error, or a run that stalls).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { composeBerth, type Berth } from '../server/compose';
import { loadConfig } from '../services/core/config';
import { createRedis, pingRedis, redisOptions } from '../services/queue/redis';
import { NOOP_TASK_TYPE } from '../services/tasks/test-tasks';
import { fmtRate, median, percentile, runBench, table, envNumber, deleteKeys } from './common';

const TYPE = NOOP_TASK_TYPE.name;
const RAW_QUEUE = 'bench-raw-noop';
const MIN_RATIO = 0.5;
/** A run that makes no progress for this long is broken. */
const STALL_MS = 60_000;

type Side = 'berth' | 'raw';

interface RunResult {
  /** Tasks per second, first create → last completion. */
  rate: number;
  durationMs: number;
  /** Creation → active, ms, sorted. */
  latencies: number[];
  /** Event-loop utilisation of the main thread during the run, 0–1. */
  busy: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const fmtMs = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const pct = (n: number) => `${Math.round(n * 100)}%`;

/** `count` items created in batches of `batch` concurrent calls, one batch after the other. */
async function createInBatches(count: number, batch: number, create: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const calls: Array<Promise<unknown>> = [];
    for (let i = start; i < Math.min(count, start + batch); i++) calls.push(create(i));
    await Promise.all(calls);
  }
}

/** The raw side: a plain Queue and Worker whose processor does nothing but note the job's creation → active time. */
class RawBullmq {
  private completed = 0;
  private failed = 0;
  private latencies: number[] = [];
  private waiter: { target: number; resolve: () => void } | undefined;
  private seq = 0;

  readonly queue: Queue;
  readonly worker: Worker;

  private constructor(connection: Redis, redisUrl: string, prefix: string, concurrency: number) {
    this.queue = new Queue(RAW_QUEUE, { connection, prefix });
    this.queue.on('error', () => undefined);
    this.worker = new Worker(
      RAW_QUEUE,
      async (job: Job) => {
        if (job.processedOn === undefined) throw new Error('job.processedOn is not set');
        this.latencies.push(job.processedOn - job.timestamp);
      },
      { connection: redisOptions(redisUrl) as ConnectionOptions, prefix, concurrency, maxStalledCount: 1 },
    );
    this.worker.on('error', () => undefined);
    this.worker.on('completed', () => {
      this.completed++;
      if (this.waiter && this.completed >= this.waiter.target) this.waiter.resolve();
    });
    this.worker.on('failed', () => {
      this.failed++;
    });
  }

  static async start(connection: Redis, redisUrl: string, prefix: string, concurrency: number): Promise<RawBullmq> {
    const raw = new RawBullmq(connection, redisUrl, prefix, concurrency);
    await Promise.all([raw.queue.waitUntilReady(), raw.worker.waitUntilReady()]);
    return raw;
  }

  async run(count: number, batch: number): Promise<RunResult> {
    const base = this.completed;
    const target = base + count;
    this.latencies = [];
    const done = new Promise<void>((resolve) => (this.waiter = { target, resolve }));
    const elu = performance.eventLoopUtilization();
    const started = Date.now();
    await createInBatches(count, batch, () =>
      this.queue.add(TYPE, { n: this.seq }, { jobId: `raw-${this.seq++}`, removeOnComplete: true, removeOnFail: true, attempts: 1 }),
    );
    let lastSeen = this.completed;
    let lastProgress = Date.now();
    for (;;) {
      const finished = await Promise.race([done.then(() => true), sleep(1000).then(() => false)]);
      if (finished) break;
      if (this.failed) throw new Error(`raw BullMQ: ${this.failed} job(s) failed`);
      if (this.completed !== lastSeen) [lastSeen, lastProgress] = [this.completed, Date.now()];
      else if (Date.now() - lastProgress > STALL_MS) throw new Error(`raw BullMQ stalled at ${this.completed - base}/${count} jobs`);
    }
    const ended = Date.now();
    const busy = performance.eventLoopUtilization(elu).utilization;
    this.waiter = undefined;
    if (this.failed) throw new Error(`raw BullMQ: ${this.failed} job(s) failed`);
    const durationMs = Math.max(1, ended - started);
    return { rate: (count / durationMs) * 1000, durationMs, latencies: [...this.latencies].sort((a, b) => a - b), busy };
  }

  async close(): Promise<void> {
    await this.worker.close().catch(() => undefined);
    await this.queue.obliterate({ force: true }).catch(() => undefined);
    await this.queue.close().catch(() => undefined);
  }
}

interface TaskTimes {
  created_at: number | string;
  started_at: number | string | null;
  ended_at: number | string | null;
}

/** The Berth side: `count` `_noop` tasks created like a client would, done when every row is `success`. */
async function runBerth(berth: Berth, instanceId: string, count: number, batch: number, pollMs: number): Promise<RunResult> {
  const db = berth.db;
  const { maxId } = (await db('tasks').max({ maxId: 'id' }).first()) as { maxId: number | null };
  const after = Number(maxId ?? 0);
  const countWhere = async (state: string): Promise<number> => {
    const row = (await db('tasks').where('id', '>', after).andWhere({ state }).count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  };

  const elu = performance.eventLoopUtilization();
  const started = Date.now();
  await createInBatches(count, batch, () => berth.tasks.create(NOOP_TASK_TYPE, { instanceId, args: {} }));
  let done = 0;
  let lastProgress = Date.now();
  while (done < count) {
    await sleep(pollMs);
    const now = await countWhere('success');
    if (now !== done) [done, lastProgress] = [now, Date.now()];
    else if (Date.now() - lastProgress > 1000) {
      const failed = await countWhere('error');
      if (failed) throw new Error(`${failed} Berth task(s) ended in error`);
      if (Date.now() - lastProgress > STALL_MS) throw new Error(`Berth stalled at ${done}/${count} tasks`);
    }
  }
  const busy = performance.eventLoopUtilization(elu).utilization;

  const rows = (await db('tasks').where('id', '>', after).select('created_at', 'started_at', 'ended_at')) as TaskTimes[];
  if (rows.length !== count) throw new Error(`expected ${count} task rows, found ${rows.length}`);
  let ended = started;
  const latencies: number[] = [];
  for (const row of rows) {
    if (row.started_at === null || row.ended_at === null) throw new Error('a successful task has no started_at/ended_at');
    latencies.push(Number(row.started_at) - Number(row.created_at));
    ended = Math.max(ended, Number(row.ended_at));
  }
  const durationMs = Math.max(1, ended - started);
  return { rate: (count / durationMs) * 1000, durationMs, latencies: latencies.sort((a, b) => a - b), busy };
}

/** Runs `work` under the V8 CPU profiler and writes the profile into `dir`. */
async function profiled<T>(dir: string, name: string, work: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    console.log(`  CPU profile written to ${file}`);
    return result;
  } finally {
    session.disconnect();
  }
}

async function main(): Promise<number> {
  const count = envNumber('BENCH_TASKS', 5000, { integer: true, min: 1 });
  const batch = envNumber('BENCH_BATCH', 50, { integer: true, min: 1 });
  const warmup = envNumber('BENCH_WARMUP', 500, { integer: true, min: 0 });
  const rounds = envNumber('BENCH_ROUNDS', 1, { integer: true, min: 1 });
  const pollMs = envNumber('BENCH_POLL_MS', 25, { min: 1 });
  const profileDir = process.env.BENCH_CPU_PROFILE?.trim() || undefined;
  const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const prefix = `bench-tasks-${randomBytes(6).toString('hex')}`;

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-tasks-'));
  let berth: Berth | undefined;
  let raw: RawBullmq | undefined;
  let producer: Redis | undefined;

  try {
    const config = loadConfig({
      BERTH_DATA_DIR: dataDir,
      REDIS_URL: redisUrl,
      BERTH_REDIS_PREFIX: prefix,
      BERTH_TEST_TASKS: '1',
      BERTH_TASK_CONCURRENCY: process.env.BERTH_TASK_CONCURRENCY,
      BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL?.trim() || 'silent',
    });
    const concurrency = config.taskConcurrency[TYPE] ?? NOOP_TASK_TYPE.concurrency;

    berth = await composeBerth(config, { redisUrl, workers: true });
    await pingRedis(berth.redis, 5000);
    const instanceId = (await berth.store.instances.findDefault())!.id;

    producer = createRedis(redisUrl);
    producer.on('error', () => undefined);
    await pingRedis(producer, 5000);
    raw = await RawBullmq.start(producer, redisUrl, prefix, concurrency);

    console.log(
      `bench:tasks — node ${process.version}, ${os.cpus().length} CPUs, ${count} ${TYPE} tasks per run, batches of ${batch}, ` +
        `concurrency ${concurrency}, ${warmup} warm-up tasks per side, ${rounds} round(s), SQLite in ${dataDir}, ` +
        `Redis ${redisUrl} prefix ${prefix}`,
    );

    const b = berth;
    const r = raw;
    const run = (side: Side, n: number): Promise<RunResult> =>
      side === 'berth' ? runBerth(b, instanceId, n, batch, pollMs) : r.run(n, batch);

    // Both pipelines live (workers connected), then warmed up.
    await run('raw', 1);
    await run('berth', 1);
    if (warmup > 0) {
      await run('raw', warmup);
      await run('berth', warmup);
    }

    const results: Record<Side, RunResult[]> = { berth: [], raw: [] };
    for (let round = 0; round < rounds; round++) {
      const order: Side[] = round % 2 === 0 ? ['raw', 'berth'] : ['berth', 'raw'];
      for (const side of order) {
        const result =
          side === 'berth' && profileDir ? await profiled(profileDir, `berth-tasks-round${round + 1}`, () => run(side, count)) : await run(side, count);
        results[side].push(result);
        process.stdout.write(
          `  round ${round + 1} ${side.padEnd(5)} ${fmtRate(result.rate).padStart(6)} tasks/s  ` +
            `(${(result.durationMs / 1000).toFixed(2)} s, main thread busy ${pct(result.busy)})\n`,
        );
      }
    }

    const summary = (side: Side) => {
      const runs = results[side];
      return {
        rate: median(runs.map((x) => x.rate)),
        p50: median(runs.map((x) => percentile(x.latencies, 50))),
        p99: median(runs.map((x) => percentile(x.latencies, 99))),
        busy: median(runs.map((x) => x.busy)),
      };
    };
    const berthSummary = summary('berth');
    const rawSummary = summary('raw');
    const ratio = berthSummary.rate / rawSummary.rate;

    console.log();
    console.log(
      table(
        ['side', 'tasks/s', 'ratio', 'target', 'verdict', 'p50 create→active ms', 'p99 create→active ms', 'busy'],
        [
          ['raw BullMQ', fmtRate(rawSummary.rate), '1.00×', '', '', fmtMs(rawSummary.p50), fmtMs(rawSummary.p99), pct(rawSummary.busy)],
          [
            'Berth tasks',
            fmtRate(berthSummary.rate),
            `${ratio.toFixed(2)}×`,
            `≥ ${MIN_RATIO.toFixed(2)}×`,
            ratio >= MIN_RATIO ? 'PASS' : 'FAIL',
            fmtMs(berthSummary.p50),
            fmtMs(berthSummary.p99),
            pct(berthSummary.busy),
          ],
        ],
      ),
    );
    console.log('\n(busy: event-loop utilisation of the main thread, which runs producers, workers and SQLite)');
    return 0;
  } finally {
    await raw?.worker.close().catch(() => undefined);
    await berth?.close().catch((err: unknown) => console.error('closing Berth failed:', err));
    await raw?.close();
    if (producer) {
      await deleteKeys(producer, prefix).catch((err: unknown) => console.error(`could not remove Redis keys under ${prefix}:`, err));
      producer.disconnect();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench('bench:tasks', main);
