/**
 * `npm run bench:tenants`: the admin API with many tenants. How fast `POST /instances` creates tenants, and
 * `GET /instances?page[limit]=100` at the first page against the last page once there are 1,000 of them
 * (target: first/last ≤ 2×, on requests per second measured in the same run). On SQLite, and on PostgreSQL too
 * when BENCH_DATABASE_URL names one.
 *
 * Set-up, per database: Berth is built in-process as `berth serve` builds it (loadConfig + composeBerth, a temp data
 * dir, the real Redis under a random BERTH_REDIS_PREFIX `bench-tenants-<hex>`, request logging at BERTH_LOG_LEVEL —
 * default info — into /dev/null so its cost is counted). SQLite lives in the data dir; PostgreSQL gets a schema of
 * its own (`bench_tenants_<hex>`, as the tests do with TEST_DATABASE_URL), dropped at the end. The admin passphrase
 * is set with `berth.admin.passphrase.set`, and `berth.admin.http` listens on 127.0.0.1 on a random port through
 * node:http, so every request crosses real HTTP with HTTP Basic.
 *
 * The passphrase check is scrypt, but AdminPassphrase remembers a passphrase that verified (by its SHA-256), so only
 * the first request pays it. The bench sends that first request on its own before anything is timed and prints its
 * time next to a cached one, so the creation lanes do not all race into scrypt at once.
 *
 * 1. Creation: BENCH_TENANTS tenants (default 1,000) through `POST /instances` with {domain, email},
 *    BENCH_CONCURRENCY requests in flight (default 8) on keep-alive connections. Each creation is a transaction
 *    (instance, owner, `activated` setting), then an invitation (a user token and an audit event), the
 *    `instance.create` audit event and a read-back. Rate = tenants / wall time; p50/p99 per request. The rows each
 *    tenant added to each table are counted and printed.
 * 2. The list, on the same 1,000 tenants (plus the default instance, which is listed too): `GET /instances` with
 *    page[limit]=BENCH_LIMIT (default 100) at page[skip]=0 and at the last full page (skip = count − limit, so both
 *    pages have `limit` rows), from the autocannon worker thread (`loadgen.ts`). Both answers are checked once
 *    (row counts, meta.count, no `next` link on the last page). `GET /instances/count` is measured the same way as
 *    context: the admin API's floor (auth, routing, one count) with no rows to render. After BENCH_WARMUP seconds
 *    per path, BENCH_ROUNDS rounds of BENCH_DURATION seconds per path, rotating the order; medians are reported.
 *
 * Environment: BENCH_TENANTS (default 1000), BENCH_CONCURRENCY (default 8), BENCH_LIMIT (default 100),
 * BENCH_DURATION (s, default 3), BENCH_CONNECTIONS (default 10), BENCH_WARMUP (s, default 1), BENCH_ROUNDS
 * (default 5), BENCH_DATABASE_URL (postgres://…, optional), BERTH_LOG_LEVEL (default info, into /dev/null),
 * REDIS_URL (default redis://127.0.0.1:6379).
 *
 * The target is reported as PASS/FAIL; the exit code is 0 whatever the verdict, and non-zero only when the benchmark
 * itself failed (a crash, an unexpected status, a page with the wrong rows, non-2xx answers or socket errors under
 * load).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knex from 'knex';
import pino from 'pino';
import { composeBerth, type Berth } from '../server/compose';
import { loadConfig } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { createRedis, pingRedis } from '../services/queue/redis';
import { closeServer, combineRuns, deleteKeys, type Measured, envNumber, fmtRate, httpRequest, listen, median, percentile, runBench, table, type Reply } from './common';
import { LoadGenerator } from './loadgen';

const PASSPHRASE = 'bench tenants passphrase';
const AUTH = { authorization: `Basic ${Buffer.from(`admin:${PASSPHRASE}`).toString('base64')}` };
const MAX_RATIO = 2;
/** Tables a tenant's creation writes to; the bench counts what each tenant added. */
const TABLES = ['instances', 'users', 'settings', 'user_tokens', 'eventlog', 'tokens'];

const fmtMs = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (n: number) => `${Math.round(n * 100)}%`;
/** A URL fit to print: no password. */
const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

const interrupted = new AbortController();
function checkInterrupted(): void {
  if (interrupted.signal.aborted) throw new Error('interrupted');
}

interface Settings {
  tenants: number;
  concurrency: number;
  limit: number;
  duration: number;
  connections: number;
  warmup: number;
  rounds: number;
  redisUrl: string;
  logLevel: string | undefined;
}

interface Database {
  name: string;
  /** undefined: SQLite in the data dir. */
  url: string | undefined;
}


interface Path {
  name: string;
  path: string;
}

interface DatabaseResult {
  database: string;
  where: string;
  coldAuthMs: number;
  warmAuthMs: number;
  create: { tenants: number; ms: number; p50: number; p99: number; busy: number; rowsPerTenant: Array<[string, number]> };
  total: number;
  lastSkip: number;
  first: Measured;
  last: Measured;
  count: Measured;
}


/** HTTP/1.1 keep-alive client with the admin credentials; `close()` destroys its sockets. */
class AdminClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly base: string,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<Reply> {
    return httpRequest(method, `${this.base}${urlPath}`, { body, agent: this.agent, headers });
  }

  close(): void {
    this.agent.destroy();
  }
}

const domainOf = (i: number) => `tenant-${String(i).padStart(5, '0')}.bench-tenants.test`;

/**
 * Tenants [0, count) through POST /instances, `concurrency` requests in flight. When one lane fails (or the bench is
 * interrupted) the others stop too, and all of them have their answer before this returns: a request still being
 * handled when Berth closes would wait out knex's 60 s acquire timeout on the destroyed pool.
 */
async function createTenants(client: AdminClient, count: number, concurrency: number) {
  let next = 0;
  let failure: unknown;
  const latencies: number[] = [];
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  const lane = async () => {
    while (next < count && failure === undefined) {
      checkInterrupted();
      const i = next++;
      const domain = domainOf(i);
      const t0 = performance.now();
      const reply = await client.request('POST', '/instances', { domain, email: `owner@${domain}` });
      latencies.push(performance.now() - t0);
      if (reply.status !== 201) throw new Error(`POST /instances #${i} answered ${reply.status}: ${reply.text}`);
      const body = JSON.parse(reply.text) as { data: { attributes: { domain: string } }; meta: { invite_link?: string } };
      if (body.data.attributes.domain !== domain || !body.meta.invite_link) throw new Error(`POST /instances #${i}: unexpected body ${reply.text.slice(0, 300)}`);
    }
  };
  const guarded = () =>
    lane().catch((err: unknown) => {
      failure ??= err;
    });
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, count)) }, guarded));
  if (failure !== undefined) throw failure;
  const ms = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { tenants: count, ms, p50: percentile(latencies, 50), p99: percentile(latencies, 99), busy: performance.eventLoopUtilization(elu).utilization };
}

async function rowCounts(berth: Berth): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const name of TABLES) {
    const row = (await berth.db(name).count({ n: '*' }).first()) as { n: number | string };
    counts.set(name, Number(row.n));
  }
  return counts;
}

interface Page {
  data: Array<{ id: string; attributes: { domain: string | null } }>;
  meta: { count: number };
  links: { next?: string };
}

/** One checked GET of a page: `rows` resources, the total in meta.count, a next link unless it is the last page. */
async function checkPage(client: AdminClient, urlPath: string, rows: number, total: number, last: boolean): Promise<Page> {
  const reply = await client.request('GET', urlPath);
  if (reply.status !== 200) throw new Error(`GET ${urlPath} answered ${reply.status}: ${reply.text.slice(0, 300)}`);
  const page = JSON.parse(reply.text) as Page;
  if (page.data.length !== rows) throw new Error(`GET ${urlPath} returned ${page.data.length} instances, expected ${rows}`);
  if (page.meta.count !== total) throw new Error(`GET ${urlPath} says meta.count ${page.meta.count}, expected ${total}`);
  if (last === Boolean(page.links.next)) throw new Error(`GET ${urlPath}: links.next is ${page.links.next ?? 'absent'} on the ${last ? 'last' : 'first'} page`);
  return page;
}

async function createSchema(url: string, schema: string): Promise<void> {
  const admin = knex({ client: 'pg', connection: url });
  try {
    await admin.raw('create schema ??', [schema]);
  } finally {
    await admin.destroy();
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const admin = knex({ client: 'pg', connection: url });
  try {
    await admin.raw('drop schema if exists ?? cascade', [schema]);
  } finally {
    await admin.destroy();
  }
}

async function sweepPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis(redisUrl);
  redis.on('error', () => undefined);
  try {
    await pingRedis(redis, 5000);
    await deleteKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

const progress = (t0: number, what: string) => process.stdout.write(`  [${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${what}\n`);

/** One database: a fresh Berth, the tenants created through the API, then the list under load. */
async function runDatabase(database: Database, s: Settings, loadgen: LoadGenerator, logSink: pino.DestinationStream, t0: number): Promise<DatabaseResult> {
  const hex = randomBytes(6).toString('hex');
  const prefix = `bench-tenants-${hex}`;
  const schema = database.url ? `bench_tenants_${hex}` : undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-tenants-'));
  const server = http.createServer();
  let berth: Berth | undefined;
  let client: AdminClient | undefined;
  let schemaCreated = false;

  try {
    const config = loadConfig({
      BERTH_DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: s.redisUrl,
      BERTH_REDIS_PREFIX: prefix,
      BERTH_LOG_LEVEL: s.logLevel,
    });
    if (database.url && schema) {
      await createSchema(database.url, schema);
      schemaCreated = true;
    }
    const where = schema ? `${redact(database.url!)} schema ${schema}` : config.databaseUrl;
    progress(t0, `${database.name}: composing Berth (${where}, Redis prefix ${prefix}) …`);
    berth = await composeBerth(config, { redisUrl: s.redisUrl, dbSchema: schema, logger: createLogger(config.logLevel, logSink) });
    await berth.admin.passphrase.set(PASSPHRASE);
    server.on('request', berth.admin.http);
    const base = await listen(server);
    client = new AdminClient(base, Math.max(s.concurrency, 1));

    // The credentials: none is 401, then the first good request pays scrypt, the next ones hit the cache.
    const anonymous = await client.request('GET', '/instances/count', undefined, {});
    if (anonymous.status !== 401) throw new Error(`GET /instances/count without credentials answered ${anonymous.status}`);
    const timeAuthed = async () => {
      const t = performance.now();
      const reply = await client!.request('GET', '/instances/count');
      if (reply.status !== 200) throw new Error(`GET /instances/count answered ${reply.status}: ${reply.text}`);
      return { ms: performance.now() - t, count: (JSON.parse(reply.text) as { count: number }).count };
    };
    const cold = await timeAuthed();
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await timeAuthed()).ms);
    const before = cold.count;

    checkInterrupted();
    progress(t0, `${database.name}: creating ${fmtRate(s.tenants)} tenants through POST /instances (${s.concurrency} in flight) …`);
    const rowsBefore = await rowCounts(berth);
    const created = await createTenants(client, s.tenants, s.concurrency);
    const rowsAfter = await rowCounts(berth);
    const rowsPerTenant = TABLES.map((name): [string, number] => [name, (rowsAfter.get(name)! - rowsBefore.get(name)!) / s.tenants]);

    const total = (await timeAuthed()).count;
    if (total !== before + s.tenants) throw new Error(`expected ${before + s.tenants} instances after creation, GET /instances/count says ${total}`);
    if (total < 2 * s.limit) throw new Error(`${total} instances make fewer than two pages of ${s.limit}; raise BENCH_TENANTS`);
    const lastSkip = total - s.limit;
    const firstPath: Path = { name: 'first page', path: `/instances?page[limit]=${s.limit}&page[skip]=0` };
    const lastPath: Path = { name: `last page (skip ${lastSkip})`, path: `/instances?page[limit]=${s.limit}&page[skip]=${lastSkip}` };
    const countPath: Path = { name: 'count (context)', path: '/instances/count' };
    const firstPage = await checkPage(client, firstPath.path, s.limit, total, false);
    const lastPage = await checkPage(client, lastPath.path, s.limit, total, true);
    const seen = new Set(firstPage.data.map((d) => d.id));
    if (lastPage.data.some((d) => seen.has(d.id))) throw new Error('the first and the last page share instances');
    if (!lastPage.data.every((d) => d.attributes.domain?.endsWith('.bench-tenants.test'))) throw new Error('the last page holds instances the bench did not create');

    const paths = [firstPath, lastPath, countPath];
    const measure = async (p: Path, seconds: number): Promise<Measured> => {
      checkInterrupted();
      const elu = performance.eventLoopUtilization();
      const result = await loadgen.run({ url: `${base}${p.path}`, headers: AUTH, duration: seconds, connections: s.connections });
      const run = { ...result, serverBusy: performance.eventLoopUtilization(elu).utilization };
      if (run.non2xx || run.errors || run.timeouts) {
        throw new Error(`GET ${p.path} under load: ${run.non2xx} non-2xx, ${run.errors} socket errors, ${run.timeouts} timeouts`);
      }
      return run;
    };
    progress(t0, `${database.name}: GET /instances?page[limit]=${s.limit} at skip 0 and skip ${lastSkip}, ${s.rounds} round(s) of ${s.duration} s …`);
    if (s.warmup > 0) for (const p of paths) await measure(p, s.warmup);
    const runs = paths.map(() => [] as Measured[]);
    for (let round = 0; round < s.rounds; round++) {
      for (let k = 0; k < paths.length; k++) {
        const i = (round + k) % paths.length;
        const run = await measure(paths[i], s.duration);
        runs[i].push(run);
        process.stdout.write(
          `    round ${round + 1} ${paths[i].name.padEnd(22)} ${fmtRate(run.rps).padStart(6)} req/s  ` +
            `(p50 ${fmtMs(run.p50)} ms, server busy ${pct(run.serverBusy)}, load generator busy ${pct(run.loadgenBusy)})\n`,
        );
      }
    }
    const [first, last, count] = runs.map(combineRuns);
    return {
      database: database.name,
      where,
      coldAuthMs: cold.ms,
      warmAuthMs: median(warm),
      create: { ...created, rowsPerTenant },
      total,
      lastSkip,
      first,
      last,
      count,
    };
  } finally {
    client?.close();
    await closeServer(server);
    await berth?.close().catch((err: unknown) => console.error('closing Berth failed:', err));
    if (schemaCreated && database.url && schema) {
      await dropSchema(database.url, schema).catch((err: unknown) => console.error(`could not drop the schema ${schema}:`, err));
    }
    await sweepPrefix(s.redisUrl, prefix).catch((err: unknown) => console.error(`could not remove Redis keys under ${prefix}:`, err));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const s: Settings = {
    tenants: envNumber('BENCH_TENANTS', 1000, { integer: true, min: 1 }),
    concurrency: envNumber('BENCH_CONCURRENCY', 8, { integer: true, min: 1 }),
    limit: envNumber('BENCH_LIMIT', 100, { integer: true, min: 1 }),
    duration: envNumber('BENCH_DURATION', 3, { min: 1 }),
    connections: envNumber('BENCH_CONNECTIONS', 10, { integer: true, min: 1 }),
    warmup: envNumber('BENCH_WARMUP', 1),
    rounds: envNumber('BENCH_ROUNDS', 5, { integer: true, min: 1 }),
    redisUrl: process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379',
    logLevel: process.env.BERTH_LOG_LEVEL?.trim() || 'info',
  };
  if (s.limit > 1000) throw new Error(`BENCH_LIMIT must be at most 1000 (the API's maximum), got ${s.limit}`);
  const pgUrl = process.env.BENCH_DATABASE_URL?.trim() || undefined;
  if (pgUrl && !/^postgres(ql)?:\/\/.+/.test(pgUrl)) throw new Error(`BENCH_DATABASE_URL must be postgres://…, got "${redact(pgUrl)}"`);
  const databases: Database[] = [{ name: 'SQLite', url: undefined }, ...(pgUrl ? [{ name: 'PostgreSQL', url: pgUrl }] : [])];

  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const logSink = pino.destination('/dev/null');
  const loadgen = await LoadGenerator.start();
  const t0 = performance.now();
  try {
    console.log(
      `bench:tenants — node ${process.version}, ${os.cpus().length} CPUs, ${fmtRate(s.tenants)} tenants (${s.concurrency} in flight), ` +
        `page[limit]=${s.limit}, ${s.connections} connections, ${s.duration}s per run, ${s.warmup}s warm-up, ${s.rounds} round(s), ` +
        `log level ${s.logLevel} → /dev/null, Redis ${s.redisUrl}, databases: ${databases.map((d) => d.name).join(', ')}` +
        (pgUrl ? '' : ' (set BENCH_DATABASE_URL=postgres://… for PostgreSQL too)'),
    );
    const results: DatabaseResult[] = [];
    for (const database of databases) results.push(await runDatabase(database, s, loadgen, logSink, t0));
    const seconds = (performance.now() - t0) / 1000;

    console.log();
    console.log(
      table(
        ['database', 'POST /instances', 'tenants/s', 'p50 ms', 'p99 ms', 'busy', 'first auth ms (scrypt)', 'cached auth ms'],
        results.map((r) => [
          r.database,
          `${fmtRate(r.create.tenants)} in ${(r.create.ms / 1000).toFixed(1)} s`,
          fmtRate((r.create.tenants / r.create.ms) * 1000),
          fmtMs(r.create.p50),
          fmtMs(r.create.p99),
          pct(r.create.busy),
          fmtMs(r.coldAuthMs),
          fmtMs(r.warmAuthMs),
        ]),
      ),
    );
    console.log(`rows each tenant added: ${results.map((r) => `${r.database} ${r.create.rowsPerTenant.map(([t, n]) => `${t} ${Number(n.toFixed(2))}`).join(', ')}`).join('; ')}`);
    console.log('(auth ms: one GET /instances/count; the first request verifies the passphrase with scrypt, later ones hit the cache)');
    console.log();
    console.log(
      table(
        ['database', `GET /instances (limit ${s.limit})`, 'req/s', 'p50 ms', 'p99 ms', 'server busy', 'loadgen busy'],
        results.flatMap((r) =>
          (
            [
              ['skip 0', r.first],
              [`skip ${r.lastSkip} (last of ${fmtRate(r.total)})`, r.last],
              ['GET /instances/count (context)', r.count],
            ] as Array<[string, Measured]>
          ).map(([name, m]) => [r.database, name, fmtRate(m.rps), fmtMs(m.p50), fmtMs(m.p99), pct(m.serverBusy), pct(m.loadgenBusy)]),
        ),
      ),
    );
    console.log();
    console.log(
      table(
        ['database', 'tenants/s', 'first page req/s', 'last page req/s', 'first/last', 'target', 'verdict'],
        results.map((r) => {
          const ratio = r.first.rps / r.last.rps;
          return [
            r.database,
            fmtRate((r.create.tenants / r.create.ms) * 1000),
            fmtRate(r.first.rps),
            fmtRate(r.last.rps),
            `${ratio.toFixed(2)}×`,
            `≤ ${MAX_RATIO.toFixed(2)}×`,
            ratio <= MAX_RATIO ? 'PASS' : 'FAIL',
          ];
        }),
      ),
    );
    for (const r of results) {
      for (const [name, m] of [['first page', r.first], ['last page', r.last]] as Array<[string, Measured]>) {
        if (m.serverBusy < 0.9 && m.loadgenBusy > 0.95) console.log(`note: ${r.database} ${name}: the run looks load-generator bound (server ${pct(m.serverBusy)} busy)`);
      }
    }
    console.log(`\nrun time ${seconds.toFixed(0)} s (medians of ${s.rounds} round(s); compare the ratios, not req/s across runs)`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await loadgen.close();
  }
}

runBench('bench:tenants', main);
