/**
 * `npm run bench:users`: the users API with a large tenant. Creation rate through `POST /api/v1/users`, and the time
 * of `GET /api/v1/users` for page 1, the last page and a search, at each size in BENCH_SIZES (default 10,000 and
 * 100,000 users in one tenant). Target: last page ≤ 2 × page 1 (median latency), per size.
 *
 * Set-up: Berth is built in-process exactly as `berth serve` builds it (loadConfig + composeBerth, SQLite in a temp
 * data dir, the real Redis under a random BERTH_REDIS_PREFIX `bench-users-<hex>`, log level silent by default) and
 * listens on 127.0.0.1 on a random port. The box is activated (`benchowner`); the owner's bearer token is used for
 * every call. The owner counts as one of the tenant's users, so "10,000 users" is the owner plus 9,999 others.
 *
 * Filling the tenant:
 * - Up to BENCH_API_USERS users (default 10,000) through the real HTTP API: `POST /api/v1/users` with
 *   {email, username, displayName} and no password (so no scrypt), BENCH_CONCURRENCY requests in flight (default
 *   12) on keep-alive connections. Each creation also writes its audit event, as in production. Only this part is
 *   the "rows/s via API" figure.
 * - Beyond that, straight into the `users` table with knex batch inserts (the same columns the repository writes,
 *   role `user`, no audit events), because 90,000 more API calls would take minutes on 2 cores. This part is
 *   reported separately and is not an API figure.
 * Usernames are `<first>.<last>.<base36 index>` with names picked pseudo-randomly, so username order (the list
 * order) is unrelated to insertion order, as in a real directory. Five users in the first 10,000 share the
 * surname "Zabriskie"; the search is `search=zabrisk` (it matches their username, email and display name).
 *
 * Timing: one request at a time over a keep-alive connection, from the same process (the client's own cost, a
 * fraction of a millisecond, is in every number alike). After BENCH_WARMUP rounds, BENCH_REPS rounds of
 * {page 1, last page, search}, rotating the order within each round; median and p95 per query. The last page is
 * ceil(users / 25) and its row count is checked, as is the search's.
 *
 * When a size misses the target (or BENCH_DIAGNOSE=always), the bench explains it on its own data: it captures the
 * SQL knex issues for the list and the search (a `query` listener around `store.users.list`), prints SQLite's
 * EXPLAIN QUERY PLAN, and times the raw statements (page 1, a middle page, the last page) on a separate read-only
 * better-sqlite3 connection to the same file. Variants: OFFSET without the `, id` tie-breaker, keyset (seek)
 * pagination `(username, id) > (cursor)` instead of OFFSET, the search as a plain table scan (NOT INDEXED), and two
 * candidate indexes — users(instance_id, username, id) and users(instance_id, username, id, email, display_name) —
 * each created on the temporary database only, timed raw and through HTTP with the API unchanged, then dropped
 * again before the bench goes on. No file outside the temp data dir is changed.
 *
 * Environment: BENCH_SIZES (comma-separated, default 10000,100000), BENCH_API_USERS (default 10000),
 * BENCH_CONCURRENCY (default 12), BENCH_REPS (default 100), BENCH_WARMUP (rounds, default 10),
 * BENCH_DIAGNOSE (fail | always | never, default fail), BERTH_LOG_LEVEL (default silent),
 * REDIS_URL (default redis://127.0.0.1:6379).
 *
 * Targets are reported as PASS/FAIL; the exit code is 0 whatever the verdicts, and non-zero only when the benchmark
 * itself failed (a crash, an unexpected status, or a page with the wrong number of rows).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { composeBerth, type Berth } from '../server/compose';
import { newId } from '../services/core/clock';
import { loadConfig } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { createRedis, pingRedis } from '../services/queue/redis';
import { closeServer, listen, median, percentile, runBench, table, envNumber, deleteKeys, fmtRate, httpRequest, type Reply } from './common';

const OWNER = { username: 'benchowner', email: 'benchowner@example.com', password: 'bench-Pa55word!', displayName: 'Bench Owner' };
const PER_PAGE = 25;
const MAX_RATIO = 2;
const SEARCH = 'zabrisk';
/** Person indices (1-based, owner is 0) whose surname is the search's needle: all within the first 10,000. */
const NEEDLES = new Set([137, 2711, 5003, 7919, 9001]);
const FIRST = [
  'Ada', 'Alan', 'Amara', 'Anders', 'Aoife', 'Bjorn', 'Carmen', 'Chen', 'Dmitri', 'Elena', 'Emeka', 'Farah', 'Giulia',
  'Hana', 'Hugo', 'Ines', 'Ivan', 'Jonas', 'Kai', 'Leila', 'Lucas', 'Maja', 'Mateo', 'Mei', 'Nadia', 'Nils', 'Olga',
  'Omar', 'Priya', 'Rafael', 'Rosa', 'Sana', 'Sven', 'Tariq', 'Thea', 'Umar', 'Vera', 'Wei', 'Yara', 'Zoe',
];
const LAST = [
  'Abe', 'Alvarez', 'Bakker', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Horvat', 'Ito',
  'Jansen', 'Kaur', 'Kowalski', 'Larsen', 'Lopez', 'Mahlaba', 'Meyer', 'Moreau', 'Nakamura', 'Novak', 'Okafor',
  'Olsen', 'Petrov', 'Quinn', 'Rossi', 'Sato', 'Schmidt', 'Silva', 'Smith', 'Tanaka', 'Torres', 'Urban', 'Varga',
  'Vogel', 'Wagner', 'Weber', 'Xu', 'Yilmaz', 'Young', 'Zhang', 'Zimmer', 'Brown', 'Nguyen', 'Kim', 'Ivanova',
  'Murphy', 'Rahman', 'Santos',
];

interface Person {
  username: string;
  email: string;
  displayName: string;
}

/** Deterministic, pseudo-random names; unique through the index. */
function person(i: number): Person {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  const first = FIRST[h % FIRST.length];
  const last = NEEDLES.has(i) ? 'Zabriskie' : LAST[(h >>> 8) % LAST.length];
  const username = `${first}.${last}.${i.toString(36)}`.toLowerCase();
  return { username, email: `${username}@example.com`, displayName: `${first} ${last}` };
}

function envSizes(): number[] {
  const raw = process.env.BENCH_SIZES?.trim() || '10000,100000';
  const sizes = raw.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 2)) throw new Error(`BENCH_SIZES must be integers ≥ 2, got "${raw}"`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

type Diagnose = 'fail' | 'always' | 'never';
function envDiagnose(): Diagnose {
  const raw = process.env.BENCH_DIAGNOSE?.trim() || 'fail';
  if (raw !== 'fail' && raw !== 'always' && raw !== 'never') throw new Error(`BENCH_DIAGNOSE must be fail, always or never, got "${raw}"`);
  return raw;
}

/** HTTP/1.1 keep-alive client; `close()` destroys its sockets so nothing keeps the process alive. */
class Client {
  private readonly agent: http.Agent;

  constructor(
    private readonly base: string,
    private readonly token: string | undefined,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  withToken(token: string, sockets: number): Client {
    return new Client(this.base, token, sockets);
  }

  request(method: string, urlPath: string, body?: unknown): Promise<Reply> {
    return httpRequest(method, `${this.base}${urlPath}`, {
      body,
      agent: this.agent,
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const fmtMs = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (n: number) => `${Math.round(n * 100)}%`;

// ---------------------------------------------------------------------------------------------------------------
// Filling the tenant

interface FillResult {
  rows: number;
  ms: number;
  /** Event-loop utilisation of the main thread (server + client + SQLite), 0–1. */
  busy: number;
}

/** Persons [from, to) through POST /api/v1/users, `concurrency` requests in flight. */
async function createViaApi(client: Client, from: number, to: number, concurrency: number): Promise<FillResult> {
  let next = from;
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  const lane = async () => {
    while (next < to) {
      const i = next++;
      const reply = await client.request('POST', '/api/v1/users', person(i));
      if (reply.status !== 201) throw new Error(`POST /api/v1/users #${i} answered ${reply.status}: ${reply.text}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, to - from)) }, lane));
  return { rows: to - from, ms: performance.now() - started, busy: performance.eventLoopUtilization(elu).utilization };
}

/** Persons [from, to) straight into the users table (what KnexUserRepo.insert writes), in batched transactions. */
async function insertViaRepo(berth: Berth, instanceId: string, from: number, to: number): Promise<FillResult> {
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  const CHUNK = 5000;
  for (let start = from; start < to; start += CHUNK) {
    const at = new Date().toISOString();
    const rows = [];
    for (let i = start; i < Math.min(to, start + CHUNK); i++) {
      const p = person(i);
      rows.push({
        id: newId('uid'),
        instance_id: instanceId,
        username: p.username,
        email: p.email,
        fallback_email: '',
        display_name: p.displayName,
        role: 'user',
        active: true,
        password_hash: null,
        created_at: at,
        updated_at: at,
      });
    }
    await berth.db.batchInsert('users', rows, 500);
  }
  return { rows: to - from, ms: performance.now() - started, busy: performance.eventLoopUtilization(elu).utilization };
}

// ---------------------------------------------------------------------------------------------------------------
// Timing the list

interface Query {
  name: string;
  path: string;
  /** Rows the answer must have. */
  rows: number;
}

interface Timing {
  query: Query;
  /** ms, sorted. */
  samples: number[];
}

async function timeQueries(client: Client, queries: Query[], reps: number, warmup: number): Promise<Timing[]> {
  const samples = queries.map(() => [] as number[]);
  for (let round = 0; round < warmup + reps; round++) {
    for (let k = 0; k < queries.length; k++) {
      const qi = (round + k) % queries.length;
      const q = queries[qi];
      const t0 = performance.now();
      const reply = await client.request('GET', q.path);
      const ms = performance.now() - t0;
      if (reply.status !== 200) throw new Error(`GET ${q.path} answered ${reply.status}: ${reply.text}`);
      if (round === 0) {
        const got = (JSON.parse(reply.text) as { users: unknown[] }).users.length;
        if (got !== q.rows) throw new Error(`GET ${q.path} returned ${got} users, expected ${q.rows}`);
      }
      if (round >= warmup) samples[qi].push(ms);
    }
  }
  return queries.map((query, i) => ({ query, samples: samples[i].sort((a, b) => a - b) }));
}

// ---------------------------------------------------------------------------------------------------------------
// Diagnosis: the SQL, its plan, raw timings, candidate fixes

/** The slice of better-sqlite3 used here (the package ships no types of its own). */
interface SqliteStatement {
  all(...params: unknown[]): unknown[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
}
type SqliteCtor = new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => SqliteDatabase;

interface CapturedSql {
  sql: string;
  bindings: unknown[];
}

/** The statement(s) knex runs for one `store.users.list` call. */
async function captureListSql(berth: Berth, query: { instanceId: string; search?: string; page: number; perPage: number }): Promise<CapturedSql> {
  const seen: CapturedSql[] = [];
  const listener = (q: { sql: string; bindings?: unknown[] }) => seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
  berth.db.on('query', listener);
  try {
    await berth.store.users.list(query);
  } finally {
    berth.db.off('query', listener);
  }
  const select = seen.find((s) => /from [`"]users[`"]/i.test(s.sql));
  if (!select) throw new Error('could not capture the users list query');
  return select;
}

function plan(db: SqliteDatabase, sql: string, bindings: unknown[]): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...bindings) as Array<{ detail: string }>).map((r) => r.detail);
}

/** Median ms of up to `reps` runs of a statement (prepared once), stopping early after ~2 s (at least 5 runs). */
function timeRaw(db: SqliteDatabase, sql: string, bindings: unknown[], reps: number): { ms: number; rows: number } {
  const stmt = db.prepare(sql);
  let rows = stmt.all(...bindings).length;
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < reps && (i < 5 || performance.now() - started < 2000); i++) {
    const t0 = performance.now();
    rows = stmt.all(...bindings).length;
    times.push(performance.now() - t0);
  }
  return { ms: median(times), rows };
}

interface Diagnosis {
  lines: string[];
}

/** Candidate indexes, tried one at a time on the temporary database and dropped again. */
const CANDIDATES = [
  { name: 'bench_users_order', columns: 'instance_id, username, id' },
  { name: 'bench_users_order_search', columns: 'instance_id, username, id, email, display_name' },
];

/**
 * Why the last page costs what it does: the SQL, its plan, raw timings on a read-only better-sqlite3 connection,
 * and candidate fixes tried on this temporary database (every index is dropped again before returning).
 */
async function diagnose(
  berth: Berth,
  sqliteFile: string,
  client: Client,
  instanceId: string,
  users: number,
  reps: number,
  warmup: number,
  queries: { first: Query; last: Query; search: Query },
): Promise<Diagnosis> {
  const lines: string[] = [];
  const lastPage = Math.ceil(users / PER_PAGE);
  const midPage = Math.ceil(lastPage / 2);
  const pages = [1, midPage, lastPage];
  const issued: CapturedSql[] = [];
  // One at a time: the listener sees every query on the connection.
  for (const page of pages) issued.push(await captureListSql(berth, { instanceId, page, perPage: PER_PAGE }));
  const search = await captureListSql(berth, { instanceId, page: 1, perPage: PER_PAGE, search: SEARCH });
  const last = issued[2];

  const Database = createRequire(__filename)('better-sqlite3') as SqliteCtor;
  const db = new Database(sqliteFile, { readonly: true, fileMustExist: true });
  const rawReps = Math.max(5, Math.min(50, reps));
  const httpReps = Math.max(10, Math.round(reps / 2));
  try {
    const version = (db.prepare('select sqlite_version() as v').all() as Array<{ v: string }>)[0].v;
    const showPlan = (title: string, sql: string, bindings: unknown[]) =>
      lines.push(`EXPLAIN QUERY PLAN ${title}:`, ...plan(db, sql, bindings).map((d) => `  ${d}`));
    lines.push(`SQL knex issues for page ${lastPage} (SQLite ${version}):`, `  ${last.sql}`, `  bindings ${JSON.stringify(last.bindings)}`);
    showPlan('as issued (every page alike)', last.sql, last.bindings);
    lines.push('SQL of the search:', `  ${search.sql}`, `  bindings ${JSON.stringify(search.bindings)}`);
    showPlan('of the search', search.sql, search.bindings);

    // Keyset (seek) pagination: page p starts after the (username, id) of the previous page's last row.
    const keysetSql = 'select * from users where instance_id = ? and (username, id) > (?, ?) order by username asc, id asc limit ?';
    const firstSql = 'select * from users where instance_id = ? order by username asc, id asc limit ?';
    const cursors = pages.map((page) =>
      page === 1
        ? undefined
        : (db
            .prepare('select username, id from users where instance_id = ? order by username, id limit 1 offset ?')
            .all(instanceId, (page - 1) * PER_PAGE - 1)[0] as { username: string; id: string }),
    );
    const keyset = (i: number): CapturedSql => {
      const cursor = cursors[i];
      return cursor
        ? { sql: keysetSql, bindings: [instanceId, cursor.username, cursor.id, PER_PAGE] }
        : { sql: firstSql, bindings: [instanceId, PER_PAGE] };
    };
    // The same OFFSET query without the `, id` tie-breaker: what the existing index alone can order.
    const noTieBreak = (c: CapturedSql): CapturedSql => ({ sql: c.sql.replace(/,\s*[`"]id[`"]\s+asc/i, ''), bindings: c.bindings });
    // The search as a plain scan of the table in rowid order, then a sort of the few matches.
    const tableScan: CapturedSql = { sql: search.sql.replace(/from [`"]users[`"]/i, '$& not indexed'), bindings: search.bindings };

    const pageRows: string[][] = [];
    const timePages = (label: string, statements: CapturedSql[]) => {
      const ms = statements.map((s, i) => {
        const r = timeRaw(db, s.sql, s.bindings, rawReps);
        const want = i === 2 ? users - (lastPage - 1) * PER_PAGE : PER_PAGE;
        if (r.rows !== want) throw new Error(`${label}: page ${pages[i]} returned ${r.rows} rows, expected ${want}`);
        return r.ms;
      });
      pageRows.push([label, ...ms.map(fmtMs), `${(ms[2] / ms[0]).toFixed(1)}×`]);
    };
    const searchRows: string[][] = [];
    const timeSearch = (label: string, s: CapturedSql) => {
      const r = timeRaw(db, s.sql, s.bindings, rawReps);
      if (r.rows !== queries.search.rows) throw new Error(`${label}: ${r.rows} rows, expected ${queries.search.rows}`);
      searchRows.push([label, fmtMs(r.ms)]);
    };
    const httpRows: string[][] = [];
    const timeHttp = async (label: string) => {
      const [f, l, s] = await timeQueries(client, [queries.first, queries.last, queries.search], httpReps, warmup);
      const ratio = median(l.samples) / median(f.samples);
      httpRows.push([label, fmtMs(median(f.samples)), fmtMs(median(l.samples)), `${ratio.toFixed(2)}×`, ratio <= MAX_RATIO ? 'PASS' : 'FAIL', fmtMs(median(s.samples))]);
    };

    timePages('existing indexes, OFFSET (as issued)', issued);
    // The per-row table reads are random (username order is not rowid order): a page cache holding the whole table helps.
    const defaultCache = (db.prepare('pragma cache_size').all() as Array<{ cache_size: number }>)[0].cache_size;
    db.exec('pragma cache_size = -262144');
    timePages('  same with a 256 MiB page cache (PRAGMA cache_size)', issued);
    db.exec(`pragma cache_size = ${defaultCache}`);
    timePages('  same without the ", id" tie-breaker', issued.map(noTieBreak));
    timePages('existing indexes, keyset (username, id) > cursor', [0, 1, 2].map(keyset));
    timeSearch('existing indexes (as issued)', search);
    timeSearch('  same as a table scan (NOT INDEXED) + sort', tableScan);
    showPlan('of the keyset query, existing indexes', keyset(2).sql, keyset(2).bindings);
    for (const index of CANDIDATES) {
      await berth.db.raw(`create index ${index.name} on users (${index.columns})`);
      try {
        const label = `+ index (${index.columns})`;
        timePages(`${label}, OFFSET`, issued);
        timePages(`${label}, keyset`, [0, 1, 2].map(keyset));
        timeSearch(label, search);
        showPlan(`as issued, ${label}`, last.sql, last.bindings);
        showPlan(`of the keyset query, ${label}`, keyset(2).sql, keyset(2).bindings);
        showPlan(`of the search, ${label}`, search.sql, search.bindings);
        await timeHttp(label);
      } finally {
        await berth.db.raw(`drop index if exists ${index.name}`);
      }
    }

    lines.push(
      '',
      `Raw SQLite: better-sqlite3, read-only connection (cache_size ${defaultCache}), statement prepared once, ` +
        `median of ≤ ${rawReps} runs (≤ ~2 s each), ms:`,
    );
    lines.push(table(['list statement', 'page 1', `page ${midPage}`, `page ${lastPage}`, 'last/first'], pageRows));
    lines.push('');
    lines.push(table([`search=${SEARCH} statement`, 'ms'], searchRows));
    lines.push('', `Through HTTP, API and SQL unchanged, with a candidate index present (median of ${httpReps}), ms:`);
    lines.push(table(['index', 'page 1', `page ${lastPage}`, 'last/first', 'verdict', 'search'], httpRows));
  } finally {
    db.close();
  }
  return { lines };
}

// ---------------------------------------------------------------------------------------------------------------

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

interface SizeResult {
  users: number;
  lastPage: number;
  timings: Timing[];
  ratio: number;
}

async function main(): Promise<number> {
  const sizes = envSizes();
  const apiUsers = envNumber('BENCH_API_USERS', 10_000, { integer: true, min: 1 });
  const concurrency = envNumber('BENCH_CONCURRENCY', 12, { integer: true, min: 1 });
  const reps = envNumber('BENCH_REPS', 100, { integer: true, min: 1 });
  const warmup = envNumber('BENCH_WARMUP', 10, { integer: true, min: 0 });
  const diagnoseMode = envDiagnose();
  const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const prefix = `bench-users-${randomBytes(6).toString('hex')}`;

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-users-'));
  const server = http.createServer();
  let berth: Berth | undefined;
  const clients: Client[] = [];

  try {
    const config = loadConfig({
      BERTH_DATA_DIR: dataDir,
      REDIS_URL: redisUrl,
      BERTH_REDIS_PREFIX: prefix,
      BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL?.trim() || 'silent',
    });
    if (!config.databaseUrl.startsWith('sqlite:')) throw new Error(`expected SQLite, got ${config.databaseUrl}`);
    const sqliteFile = config.databaseUrl.slice('sqlite:'.length);
    berth = await composeBerth(config, { redisUrl, logger: createLogger(config.logLevel) });
    server.on('request', berth.http);
    // The diagnosis keeps the HTTP connection idle for a while; Node's 5 s default would reset it mid-reuse.
    server.keepAliveTimeout = 10 * 60_000;
    const base = await listen(server);

    const anonymous = new Client(base, undefined, 1);
    clients.push(anonymous);
    const activated = await anonymous.request('POST', '/api/v1/cloudron/activate', OWNER);
    if (activated.status !== 201) throw new Error(`activation answered ${activated.status}: ${activated.text}`);
    const token = (JSON.parse(activated.text) as { token: string }).token;
    const creator = anonymous.withToken(token, concurrency);
    const reader = anonymous.withToken(token, 1);
    clients.push(creator, reader);
    const instanceId = (await berth.store.instances.findDefault())!.id;

    console.log(
      `bench:users — node ${process.version}, ${os.cpus().length} CPUs, sizes ${sizes.map(fmtRate).join(' / ')} users, ` +
        `API up to ${fmtRate(apiUsers)} users (${concurrency} in flight), ${reps} timed rounds after ${warmup} warm-up, ` +
        `per_page ${PER_PAGE}, log level ${config.logLevel}, SQLite in ${dataDir}, Redis ${redisUrl} prefix ${prefix}`,
    );

    const t0 = performance.now();
    const progress = (what: string) => process.stdout.write(`  [${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${what}\n`);
    const fills: string[][] = [];
    const results: SizeResult[] = [];
    const diagnoses = new Map<number, Diagnosis>();
    let have = 1; // the owner
    for (const size of sizes) {
      const viaApiTo = Math.min(size, Math.max(have, apiUsers));
      if (viaApiTo > have) {
        progress(`creating users ${fmtRate(have + 1)}–${fmtRate(viaApiTo)} through POST /api/v1/users …`);
        const r = await createViaApi(creator, have, viaApiTo, concurrency);
        fills.push([`POST /api/v1/users (${concurrency} in flight)`, `${fmtRate(have + 1)}–${fmtRate(viaApiTo)}`, (r.ms / 1000).toFixed(1), fmtRate((r.rows / r.ms) * 1000), pct(r.busy)]);
        have = viaApiTo;
      }
      if (size > have) {
        progress(`inserting users ${fmtRate(have + 1)}–${fmtRate(size)} straight into the users table (not the API) …`);
        const r = await insertViaRepo(berth, instanceId, have, size);
        fills.push(['knex batch insert (not API)', `${fmtRate(have + 1)}–${fmtRate(size)}`, (r.ms / 1000).toFixed(1), fmtRate((r.rows / r.ms) * 1000), pct(r.busy)]);
        have = size;
      }
      const counted = Number(((await berth.db('users').where({ instance_id: instanceId }).count({ n: '*' }).first()) as { n: number | string }).n);
      if (counted !== size) throw new Error(`expected ${size} users in the tenant, found ${counted}`);

      const lastPage = Math.ceil(size / PER_PAGE);
      const needles = [...NEEDLES].filter((i) => i < size).length;
      const first: Query = { name: 'page 1', path: `/api/v1/users?page=1&per_page=${PER_PAGE}`, rows: PER_PAGE };
      const last: Query = { name: `last page (${lastPage})`, path: `/api/v1/users?page=${lastPage}&per_page=${PER_PAGE}`, rows: size - (lastPage - 1) * PER_PAGE };
      const search: Query = { name: `search=${SEARCH}`, path: `/api/v1/users?per_page=${PER_PAGE}&search=${SEARCH}`, rows: Math.min(needles, PER_PAGE) };
      const beyond = await reader.request('GET', `/api/v1/users?page=${lastPage + 1}&per_page=${PER_PAGE}`);
      if (beyond.status !== 200 || (JSON.parse(beyond.text) as { users: unknown[] }).users.length !== 0) {
        throw new Error(`page ${lastPage + 1} should be empty: ${beyond.status} ${beyond.text.slice(0, 200)}`);
      }

      progress(`timing ${fmtRate(size)} users: page 1, page ${lastPage}, search …`);
      const timings = await timeQueries(reader, [first, last, search], reps, warmup);
      const ratio = median(timings[1].samples) / median(timings[0].samples);
      results.push({ users: size, lastPage, timings, ratio });
      if (diagnoseMode === 'always' || (diagnoseMode === 'fail' && ratio > MAX_RATIO)) {
        progress(`diagnosing the last page at ${fmtRate(size)} users …`);
        diagnoses.set(size, await diagnose(berth, sqliteFile, reader, instanceId, size, reps, warmup, { first, last, search }));
      }
    }

    console.log();
    console.log(table(['filling the tenant', 'users', 'seconds', 'rows/s', 'busy'], fills));
    console.log('(only the POST /api/v1/users row is the "rows/s via API" figure; busy: main-thread event-loop utilisation)');
    console.log();
    console.log(
      table(
        ['users', 'GET /api/v1/users', 'rows', 'median ms', 'p95 ms'],
        results.flatMap((r) =>
          r.timings.map((t) => [fmtRate(r.users), t.query.name, String(t.query.rows), fmtMs(median(t.samples)), fmtMs(percentile(t.samples, 95))]),
        ),
      ),
    );
    console.log();
    console.log(
      table(
        ['users', 'page 1 ms', 'last page ms', 'last/first', 'target', 'verdict', 'search ms (p95)'],
        results.map((r) => [
          fmtRate(r.users),
          fmtMs(median(r.timings[0].samples)),
          fmtMs(median(r.timings[1].samples)),
          `${r.ratio.toFixed(2)}×`,
          `≤ ${MAX_RATIO.toFixed(2)}×`,
          r.ratio <= MAX_RATIO ? 'PASS' : 'FAIL',
          `${fmtMs(median(r.timings[2].samples))} (${fmtMs(percentile(r.timings[2].samples, 95))})`,
        ]),
      ),
    );
    for (const [size, d] of diagnoses) {
      console.log(`\n— why the last page is slow at ${fmtRate(size)} users —`);
      for (const line of d.lines) console.log(line);
    }
    return 0;
  } finally {
    for (const client of clients) client.close();
    await closeServer(server);
    await berth?.close().catch((err: unknown) => console.error('closing Berth failed:', err));
    await sweepPrefix(redisUrl, prefix).catch((err: unknown) => console.error(`could not remove Redis keys under ${prefix}:`, err));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench('bench:users', main);
