/**
 * `npm run bench:scheduler`: the scheduler's own overhead, with a no-op job runtime, in real `berth worker`
 * processes.
 *
 * BENCH_JOBS jobs (default 10,000) across BENCH_TENANTS tenants (default 100) fire every 10 s, for BENCH_DURATION
 * seconds (default 60), in BENCH_WORKERS `berth worker` processes (default 2) sharing one database and Redis, with
 * BERTH_TEST_TASKS=1 and BERTH_TEST_JOB_RUNTIME=noop (an execution runs nothing and succeeds). Afterwards the bench
 * reads the database: for every slot in the measured window, whether it fired, once, and how late (p50, p99).
 * Targets: p99 lateness ≤ 1 s (task started − slot), no duplicates, no misses.
 *
 * Tenants are created by the admin API's service (`berth.tenants.create`, as `POST /instances` does, without HTTP);
 * jobs by the scheduler API's service (`berth.scheduler.schedulerJobs.put`, as `PUT /api/job/{name}` does, without
 * HTTP), `run` jobs with `history-limit` 1000 so nothing of the window is trimmed.
 *
 * The schedule. `@every` is anchored to the Unix epoch in Berth (every process agrees on the times), so 10,000
 * `@every 10s` jobs all fire in the same instant, every 10 s: 10,000 fires at once, not 1,000/s. To spread them
 * (BENCH_SCHEDULE=staggered, the default) job i runs on `<i mod 10>/10 * * * * *`: every 10 s as well, at second
 * i mod 10, so 1/10 of the jobs fire each second. BENCH_SCHEDULE=every uses `@every 10s` as it is.
 *
 * The window starts BENCH_WARMUP seconds (default 10) after both workers are ready, so fires that came due while
 * they were starting are not counted, and lasts BENCH_DURATION. After it the bench waits (at most BENCH_DRAIN s)
 * until every fire of the window was taken and ended, then stops the workers and reads the rows.
 *
 * SQLite in a temp data dir by default; BENCH_DATABASE_URL=postgres://… runs on PostgreSQL instead, in a schema of
 * its own (`bench_scheduler_<hex>`), dropped at the end. Redis at REDIS_URL under a random prefix, swept at the end.
 * Passed to the workers when set: BERTH_SCHEDULER_TICK_MS, BERTH_SCHEDULER_CLOCK_PARALLEL, BERTH_SCHEDULER_MAX_CONCURRENT, BERTH_TASK_CONCURRENCY,
 * BERTH_SCHEDULER_GRACE_SECS.
 *
 * The exit code is 0 whatever the verdict; 1 only when the bench itself broke (a crash, a worker that would not
 * start or died, a window that never settled).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knex from 'knex';
import { composeBerth, type Berth } from '../server/compose';
import { loadConfig } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { createRedis, pingRedis } from '../services/queue/redis';
import { deleteKeys, envNumber, fmtRate, runBench, table } from './common';
import { runExecBench, type ExecResult } from './scheduler-exec';
import { fireReport, windowSettled, type FireReport, type Lateness, type Slots } from './scheduler-fires';
import { startWorker, stopWorker, warnings, type WorkerProcess } from './scheduler-workers';

const TARGET_P99_MS = 1000;
const MIN_EXEC_RATIO = 0.7;
const PERIOD_MS = 10_000;
const PASS_THROUGH = ['BERTH_SCHEDULER_TICK_MS', 'BERTH_SCHEDULER_CLOCK_PARALLEL', 'BERTH_SCHEDULER_MAX_CONCURRENT', 'BERTH_TASK_CONCURRENCY', 'BERTH_SCHEDULER_GRACE_SECS'];

const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmtMs = (n: number) => (Number.isNaN(n) ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(1));

interface Settings {
  jobs: number;
  tenants: number;
  durationS: number;
  warmupS: number;
  drainS: number;
  workers: number;
  concurrency: number;
  schedule: 'staggered' | 'every';
  pgUrl: string | undefined;
  redisUrl: string;
  /** BENCH_WORKER_LOGS: a directory for each worker's whole log. */
  logDir: string | undefined;
  /** BENCH_CPU_PROFILE: a directory for a .cpuprofile of each worker. */
  profileDir: string | undefined;
  /** BENCH_PARTS: `fires` (the no-op overhead), `exec` (real executions against docker exec). */
  parts: Set<string>;
}

const interrupted = new AbortController();
const checkInterrupted = () => {
  if (interrupted.signal.aborted) throw new Error('interrupted');
};
const progress = (t0: number, what: string) => process.stdout.write(`  [${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${what}\n`);

/** `count` calls of `work`, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      checkInterrupted();
      await work(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** Job i's schedule and the slots it fires at. */
function scheduleOf(s: Settings, i: number): { schedule: string; offsetMs: number } {
  if (s.schedule === 'every') return { schedule: '@every 10s', offsetMs: 0 };
  const second = i % 10;
  return { schedule: `${second}/10 * * * * *`, offsetMs: second * 1000 };
}

/** Creates the tenants and their jobs through the services; returns each job's slots. */
async function populate(berth: Berth, s: Settings, t0: number): Promise<Slots[]> {
  const tenantIds: string[] = [];
  let started = performance.now();
  await inParallel(s.tenants, s.concurrency, async (i) => {
    const { instance } = await berth.tenants.create({ domain: `t${i}.bench-scheduler.test`, email: `owner${i}@bench-scheduler.test` }, null);
    tenantIds[i] = instance.id;
  });
  progress(t0, `${s.tenants} tenants created (berth.tenants.create) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const slots: Slots[] = [];
  started = performance.now();
  await inParallel(s.jobs, s.concurrency, async (i) => {
    const instanceId = tenantIds[i % s.tenants];
    const { schedule, offsetMs } = scheduleOf(s, i);
    const actor = { instanceId, userId: null, tokenId: null, ip: null };
    const { job } = await berth.scheduler.schedulerJobs.put(actor, `job-${i}`, { type: 'run', image: 'busybox', schedule, historyLimit: 1000 });
    slots[i] = { jobId: job.id, periodMs: PERIOD_MS, offsetMs };
    if ((i + 1) % 2000 === 0) progress(t0, `${i + 1} jobs …`);
  });
  const seconds = (performance.now() - started) / 1000;
  progress(t0, `${s.jobs} jobs created (schedulerJobs.put) in ${seconds.toFixed(1)} s, ${fmtRate(s.jobs / seconds)} jobs/s`);
  return slots;
}

interface RunResult {
  database: string;
  report: FireReport;
  windowMs: number;
  warnings: string[];
}

async function runFires(s: Settings, t0: number): Promise<RunResult> {
  const hex = randomBytes(6).toString('hex');
  const prefix = `bench-scheduler-${hex}`;
  const schema = s.pgUrl ? `bench_scheduler_${hex}` : undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-scheduler-'));
  const workers: WorkerProcess[] = [];
  let berth: Berth | undefined;
  let schemaCreated = false;
  try {
    const env: Record<string, string> = {
      BERTH_DATA_DIR: dataDir,
      REDIS_URL: s.redisUrl,
      BERTH_REDIS_PREFIX: prefix,
      BERTH_TEST_TASKS: '1',
      BERTH_TEST_JOB_RUNTIME: 'noop',
      ...(s.pgUrl ? { DATABASE_URL: s.pgUrl } : {}),
    };
    for (const name of PASS_THROUGH) if (process.env[name]?.trim()) env[name] = process.env[name]!.trim();
    const config = loadConfig({ ...env, BERTH_LOG_LEVEL: 'silent' });
    if (s.pgUrl && schema) {
      await withAdmin(s.pgUrl, (admin) => admin.raw('create schema ??', [schema]));
      schemaCreated = true;
    }
    const databaseUrl = s.pgUrl && schema ? `${s.pgUrl}${s.pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}` : config.databaseUrl;
    const where = schema ? `${redact(s.pgUrl!)} schema ${schema}` : config.databaseUrl;
    progress(t0, `composing Berth (${where}, Redis prefix ${prefix}) …`);
    berth = await composeBerth(config, { redisUrl: s.redisUrl, dbSchema: schema, logger: createLogger('silent') });
    await pingRedis(berth.redis, 5000);
    const jobs = await populate(berth, s, t0);

    progress(t0, `starting ${s.workers} berth worker process(es) …`);
    const workerEnv = { ...env, DATABASE_URL: databaseUrl };
    // A V8 CPU profile of each worker, written when it exits.
    const nodeArgs = s.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(s.profileDir)}`] : [];
    const logFile = (i: number) => (s.logDir ? path.join(s.logDir, `worker-${i + 1}.log`) : undefined);
    if (s.logDir) fs.mkdirSync(s.logDir, { recursive: true });
    workers.push(...(await Promise.all(Array.from({ length: s.workers }, (_, i) => startWorker(`worker ${i + 1}`, workerEnv, { logFile: logFile(i), nodeArgs })))));
    const from = Math.ceil((Date.now() + s.warmupS * 1000) / 1000) * 1000;
    const to = from + s.durationS * 1000;
    progress(t0, `workers ready; window ${new Date(from).toISOString()} → ${new Date(to).toISOString()} (${s.warmupS} s warm-up first)`);

    const dead = () => workers.find((w) => w.child.exitCode !== null || w.child.signalCode !== null);
    while (Date.now() < to + 500) {
      checkInterrupted();
      const gone = dead();
      if (gone) throw new Error(`${gone.name} exited during the run:\n${gone.output().slice(-4000)}`);
      await sleep(Math.min(5000, Math.max(100, to + 500 - Date.now())));
      if (Date.now() < to) progress(t0, `… ${Math.max(0, Math.round((Date.now() - from) / 1000))} s into the window`);
    }
    const drainUntil = Date.now() + s.drainS * 1000;
    for (;;) {
      checkInterrupted();
      const state = await windowSettled(berth.db, from, to);
      if (state.settled) break;
      if (Date.now() > drainUntil) {
        progress(t0, `the window did not settle in ${s.drainS} s (${state.due} job(s) still due in it, ${state.unfinished} execution(s) unfinished); counting what is there`);
        break;
      }
      await sleep(500);
    }
    progress(t0, 'window settled; stopping the workers …');
    await Promise.all(workers.map((w) => stopWorker(w)));
    const report = await fireReport(berth.db, jobs, from, to, PERIOD_MS);
    return { database: s.pgUrl ? 'PostgreSQL' : 'SQLite', report, windowMs: to - from, warnings: [...new Set(workers.flatMap(warnings))] };
  } finally {
    await Promise.all(workers.map((w) => stopWorker(w, 5000)));
    await berth?.close().catch((err: unknown) => console.error('closing Berth failed:', err));
    if (schemaCreated && s.pgUrl && schema) {
      await withAdmin(s.pgUrl, (admin) => admin.raw('drop schema if exists ?? cascade', [schema])).catch((err: unknown) => console.error(`could not drop the schema ${schema}:`, err));
    }
    const redis = createRedis(s.redisUrl);
    redis.on('error', () => undefined);
    await pingRedis(redis, 5000)
      .then(() => deleteKeys(redis, prefix))
      .catch((err: unknown) => console.error(`could not remove Redis keys under ${prefix}:`, err));
    redis.disconnect();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function withAdmin<T>(url: string, work: (admin: knex.Knex) => Promise<T>): Promise<T> {
  const admin = knex({ client: 'pg', connection: url });
  try {
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}

function printFires(s: Settings, r: RunResult): void {
  const rep = r.report;
  const row = (name: string, l: Lateness, target = false): string[] => {
    const ratio = l.p99 / TARGET_P99_MS;
    return [name, fmtRate(l.count), fmtMs(l.p50), fmtMs(l.p99), fmtMs(l.max), target ? `${ratio.toFixed(2)}×` : '', target ? '≤ 1.00×' : '', target ? (ratio <= 1 ? 'PASS' : 'FAIL') : ''];
  };
  console.log();
  console.log(`${r.database}: ${fmtRate(s.jobs)} jobs, ${s.tenants} tenants, ${s.workers} workers, ${r.windowMs / 1000} s window, ${fmtRate(rep.expected / (r.windowMs / 1000))} fires/s expected`);
  console.log(
    table(
      ['lateness after the slot (ms)', 'fires', 'p50', 'p99', 'max', 'p99 / 1 s', 'target', 'verdict'],
      [
        row('tick that took it (execution created_at)', rep.tick),
        row('taken-late: task created (fire + dispatch)', rep.taken),
        row('started-late: task started_at', rep.started, true),
        row('  of which task created → started (queue)', rep.queueWait),
        row('ended (context)', rep.ended),
      ],
    ),
  );
  const bad = Object.entries(rep.statuses).filter(([status]) => status !== 'success');
  const badCount = bad.reduce((acc, [, n]) => acc + n, 0);
  const duplicates = rep.duplicateExecutions + rep.duplicateTasks;
  const misses = rep.missingSlots + badCount;
  console.log();
  console.log(
    table(
      ['check', 'count', 'target', 'verdict'],
      [
        ['slots in the window', fmtRate(rep.expected), '', ''],
        ['executions in the window', fmtRate(rep.executions), '', ''],
        ['duplicate executions per (job, slot)', String(rep.duplicateExecutions), '0', ''],
        ['duplicate tasks per execution', String(rep.duplicateTasks), '0', ''],
        ['duplicates', String(duplicates), '0', duplicates === 0 ? 'PASS' : 'FAIL'],
        ['slots with no execution', String(rep.missingSlots), '0', ''],
        [`executions not success (${bad.map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`, String(badCount), '0', ''],
        ['misses', String(misses), '0', misses === 0 ? 'PASS' : 'FAIL'],
        ['executions off their slots (context)', String(rep.offSlot), '0', ''],
      ],
    ),
  );
  console.log(`executions per worker: ${Object.values(rep.byWorker).map((n) => fmtRate(n)).join(', ') || 'none'}`);
  const t = rep.ticks;
  console.log(
    `ticks that took the window's fires: ${fmtRate(t.count)}, fires per tick p50 ${t.firesP50} max ${t.firesMax}; ` +
      `tick duration (its now → its last task created) p50 ${fmtMs(t.msP50)} ms, p99 ${fmtMs(t.msP99)} ms, max ${fmtMs(t.msMax)} ms; ` +
      `${t.msPerFire.toFixed(2)} ms per fire taken`,
  );
  console.log();
  console.log(
    table(
      ['slots from (s into the window)', 'fires', 'taken p99', 'started p50', 'started p99'],
      rep.timeline.map((b) => [`${(b.from - (rep.timeline[0]?.from ?? b.from)) / 1000}`, fmtRate(b.fires), fmtMs(b.takenP99), fmtMs(b.startedP50), fmtMs(b.startedP99)]),
    ),
  );
  if (r.warnings.length) console.log(`\nworker warnings (distinct, first 10):\n  ${r.warnings.slice(0, 10).join('\n  ')}`);
}

function printExec(r: ExecResult): void {
  const ratio = r.berthRate / r.rawRate;
  console.log();
  console.log(
    table(
      ['side', 'executions/s', 'ratio', 'target', 'verdict', 'p50 ms', 'p99 ms'],
      [
        ['raw docker exec (dockerode)', r.rawRate.toFixed(1), '1.00×', '', '', fmtMs(r.rawP50), fmtMs(r.rawP99)],
        ['Berth exec jobs (runNow → task → settled)', r.berthRate.toFixed(1), `${ratio.toFixed(2)}×`, `≥ ${MIN_EXEC_RATIO.toFixed(2)}×`, ratio >= MIN_EXEC_RATIO ? 'PASS' : 'FAIL', fmtMs(r.berthP50), fmtMs(r.berthP99)],
      ],
    ),
  );
  console.log(`(${r.concurrency} at once on both sides; raw ms: one exec create → exit code; Berth ms: execution created → ended, queueing included)`);
}

async function main(): Promise<number> {
  const schedule = (process.env.BENCH_SCHEDULE?.trim() || 'staggered') as Settings['schedule'];
  if (!['staggered', 'every'].includes(schedule)) throw new Error(`BENCH_SCHEDULE must be staggered or every, got "${schedule}"`);
  const pgUrl = process.env.BENCH_DATABASE_URL?.trim() || undefined;
  if (pgUrl && !/^postgres(ql)?:\/\/.+/.test(pgUrl)) throw new Error(`BENCH_DATABASE_URL must be postgres://…, got "${redact(pgUrl)}"`);
  const s: Settings = {
    jobs: envNumber('BENCH_JOBS', 10_000, { integer: true, min: 1 }),
    tenants: envNumber('BENCH_TENANTS', 100, { integer: true, min: 1 }),
    durationS: envNumber('BENCH_DURATION', 60, { integer: true, min: 1 }),
    warmupS: envNumber('BENCH_WARMUP', 10, { integer: true, min: 0 }),
    drainS: envNumber('BENCH_DRAIN', 120, { integer: true, min: 1 }),
    workers: envNumber('BENCH_WORKERS', 2, { integer: true, min: 1 }),
    concurrency: envNumber('BENCH_CONCURRENCY', 8, { integer: true, min: 1 }),
    schedule,
    pgUrl,
    redisUrl: process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379',
    logDir: process.env.BENCH_WORKER_LOGS?.trim() || undefined,
    profileDir: process.env.BENCH_CPU_PROFILE?.trim() || undefined,
    parts: new Set((process.env.BENCH_PARTS?.trim() || 'fires,exec').split(',').map((p) => p.trim())),
  };
  for (const part of s.parts) if (!['fires', 'exec'].includes(part)) throw new Error(`BENCH_PARTS takes fires and exec, got "${part}"`);
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const t0 = performance.now();
  try {
    const fires = s.parts.has('fires')
      ? `${fmtRate(s.jobs)} jobs (${s.schedule}: ${s.schedule === 'every' ? '@every 10s, all at once' : '<i mod 10>/10 * * * * *, a tenth each second'}) ` +
        `across ${s.tenants} tenants, ${s.workers} berth worker process(es), ${s.durationS} s window after ${s.warmupS} s warm-up, ` +
        `${pgUrl ? `PostgreSQL ${redact(pgUrl)}` : 'SQLite (BENCH_DATABASE_URL=postgres://… for PostgreSQL)'}, `
      : '';
    console.log(
      `bench:scheduler — node ${process.version}, ${os.cpus().length} CPUs, parts ${[...s.parts].join(', ')}; ${fires}Redis ${s.redisUrl}` +
        `${PASS_THROUGH.filter((n) => process.env[n]?.trim()).map((n) => `, ${n}=${process.env[n]!.trim()}`).join('')}`,
    );
    if (s.parts.has('fires')) printFires(s, await runFires(s, t0));
    if (s.parts.has('exec')) {
      const passThrough: Record<string, string> = {};
      for (const name of PASS_THROUGH) if (process.env[name]?.trim()) passThrough[name] = process.env[name]!.trim();
      const execs = envNumber('BENCH_EXECS', 200, { integer: true, min: 1 });
      console.log(`\npart 2: ${execs} exec executions through Berth's Docker job runtime against raw docker exec (DOCKER_HOST ${process.env.DOCKER_HOST ?? 'unset'})`);
      const result = await runExecBench(
        {
          execs,
          containers: envNumber('BENCH_EXEC_CONTAINERS', 4, { integer: true, min: 1 }),
          warmup: envNumber('BENCH_EXEC_WARMUP', 20, { integer: true, min: 0 }),
          rounds: envNumber('BENCH_EXEC_ROUNDS', 1, { integer: true, min: 1 }),
          redisUrl: s.redisUrl,
          passThrough,
        },
        (what) => progress(t0, what),
      );
      printExec(result);
    }
    console.log(`\nrun time ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

runBench('bench:scheduler', main);
