/**
 * `npm run bench:apps`: two measurements of the apps feature, each against a baseline measured in the same run.
 *
 * 1. Install overhead (target: Berth ≤ 1.5 × the plain baseline, median against median).
 *    Berth: `POST /api/v1/apps/install` with a custom manifest (image berth-test/web:1, httpPort 8080,
 *    healthCheckPath /healthz, addons {localstorage: {}}), then `GET /api/v1/apps/{id}` every BENCH_POLL_MS until
 *    the app is `installed`. That covers the request, the task row and its BullMQ job, the in-process worker, the
 *    port, network, image, volume and container steps, the start and Berth's own health wait.
 *    Two baselines, both the same image through dockerode directly, then the same health path probed every
 *    BENCH_POLL_MS with the same probe function Berth uses (services/apps/host-ports.ts `probeHttp`) until it
 *    answers below 400. Berth's install also waits for that answer, so all sides end at "the app answers its
 *    health check".
 *    - plain: `createContainer` (port 8080 published on a free 127.0.0.1 port, as Berth publishes it) + `start`:
 *      the issue's metric, "docker create + start of the same image". The target is against this one.
 *    - Berth's container spec: the container Berth creates (services/docker/docker-runtime.ts `create`,
 *      services/apps/container-spec.ts): on a user-defined bridge network (created once per run, like the tenant's
 *      network, and labelled for the sweep), a named volume at /app/data (created inside the timing, removed
 *      after), `Init`, Memory = MemorySwap = 256 MiB (Berth's default), RestartPolicy no, json-file log rotation,
 *      the port as above.
 *      Berth / this = Berth's own overhead (no target; printed as context). This side / plain is what the engine
 *      charges for that spec, almost all of it the `start` on a user-defined bridge (a few hundred ms here): the
 *      tenant network, which Berth uses on purpose to isolate tenants from each other.
 *    Between iterations the Berth app is uninstalled through the API (waited until 404) and the baseline
 *    containers (and volume) removed, so the engine never holds more than the one app being measured.
 *    BENCH_INSTALL_WARMUP iterations per side (default 1) come first and are not counted: the first Berth install
 *    also creates the tenant's bridge network, a once-per-tenant cost. The order of the three sides rotates per
 *    iteration.
 *
 * 2. `GET /api/v1/apps` with 1,000 apps in the tenant (no target; rate and ratio are reported).
 *    BENCH_APPS rows (default 1000, state installed/running/healthy, every tenth with a TCP port binding) go in
 *    straight through the repository (`berth.store.apps.insert`); they have no containers. Requests/second is
 *    measured with the autocannon worker thread of bench/api.ts (./loadgen.ts). The baseline is bench/api.ts's:
 *    a bare node:http server on the same thread answering the very same JSON body (parsed once, stringified per
 *    request as res.json does). The ratio Berth/bare is therefore what Berth's own work costs (auth, routing,
 *    the SQL and row mapping for 1,000 apps, rendering, logging) on top of serialising and sending the answer,
 *    which any server has to do. The same route with an empty tenant is measured first and printed for context
 *    (the fixed cost of the request), without a ratio. This part runs on a second Berth composed WITHOUT workers:
 *    with workers, the health monitor would find 1,000 "installed, running" apps without containers and start
 *    a recreate task for each, creating real containers.
 *
 * Set-up: Berth is built in-process (loadConfig + composeBerth), SQLite in a temp data dir, the real Redis under a
 * random BERTH_REDIS_PREFIX (`bench-apps-<hex>`), the Docker engine at DOCKER_HOST, request logging at
 * BERTH_LOG_LEVEL (default info) into /dev/null. It listens on 127.0.0.1 and activates the box (`benchowner`).
 *
 * Clean-up, on success, failure or Ctrl-C: Berth is closed, then every container labelled io.berth.app=<id> for
 * the apps this run installed, their data volumes, the tenant's network (io.berth.instance=<id>) and the baselines'
 * containers, volumes and network (io.berth.bench=<prefix>) are removed; the Redis keys under the prefix and the
 * data dir are deleted.
 *
 * Environment: BENCH_INSTALLS (default 5), BENCH_INSTALL_WARMUP (default 1), BENCH_POLL_MS (default 25),
 * BENCH_APPS (default 1000), BENCH_DURATION (s, default 5), BENCH_CONNECTIONS (default 10), BENCH_WARMUP (s,
 * default 1, 0 = none), BENCH_ROUNDS (default 1), BERTH_LOG_LEVEL (default info), REDIS_URL (default
 * redis://127.0.0.1:6379), DOCKER_HOST.
 *
 * The target is reported as PASS/FAIL; the exit code is 0 whatever the verdict, and non-zero only when the
 * benchmark itself failed (a crash, an install ending in error, a stall, non-2xx answers or socket errors).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import pino from 'pino';
import type { Berth } from '../server/compose';
import type { App } from '../services/apps/app-repo';
import { LABELS } from '../services/apps/app-runtime';
import { probeHttp, LocalHostPorts } from '../services/apps/host-ports';
import { DEFAULT_MEMORY_LIMIT, type Manifest } from '../services/apps/manifest';
import { createDocker } from '../services/docker/docker-client';
import { LoadGenerator } from './loadgen';
import { BENCH_LABEL, benchConfig, cleanUpRun, expectStatus, startBerth, type Running } from './berth-box';
import { closeServer, combineRuns, type Measured, envNumber, fmtRate, httpRequest, listen, median, runBench, table } from './common';

const IMAGE = 'berth-test/web:1';
const MANIFEST = {
  id: 'io.berth.bench.web',
  version: '1.0.0',
  title: 'Bench web',
  dockerImage: IMAGE,
  httpPort: 8080,
  healthCheckPath: '/healthz',
  addons: { localstorage: {} },
};
const DOMAIN = 'bench-apps.test';
/** Largest acceptable Berth/baseline ratio of the median install times. */
const MAX_INSTALL_RATIO = 1.5;
/** An install (either side) or an uninstall that takes longer than this is broken. */
const STEP_LIMIT_MS = 120_000;

const pct = (n: number) => `${Math.round(n * 100)}%`;
const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');

/** Ctrl-C / SIGTERM abort the run, so the clean-up in `finally` still happens. */
const interrupted = new AbortController();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (interrupted.signal.aborted) return reject(new Error('interrupted'));
    const timer = setTimeout(() => {
      interrupted.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('interrupted'));
    };
    interrupted.signal.addEventListener('abort', onAbort, { once: true });
  });
}

// ————————————————————————————————————— part 1: install overhead —————————————————————————————————————

interface BerthInstall {
  totalMs: number;
  /** POST /apps/install round trip (validation, rows, task row, BullMQ job). */
  postMs: number;
  /** Task row created → claimed by the worker. */
  queuedMs: number;
  /** POST sent → the engine started the container (its State.StartedAt): everything before the app process runs. */
  toStartMs: number;
  /**
   * The container's Created → State.StartedAt as the engine records them: the engine's create and start work, plus
   * the worker's steps between its create and start calls (a log line, an app read, a progress write).
   */
  createdToStartedMs: number;
  /** Container started → the poll saw `installed`: Berth's health wait, the final writes and the poll. */
  afterStartMs: number;
  uninstallMs: number;
}

interface BaselineInstall {
  totalMs: number;
  /** createVolume (Berth's container spec only; 0 for the plain baseline). */
  volumeMs: number;
  createMs: number;
  /** The `start` call. */
  startMs: number;
  /** create sent → the engine started the container (State.StartedAt). */
  toStartMs: number;
  /** The container's Created → State.StartedAt as the engine records them: the engine's create and start work. */
  createdToStartedMs: number;
  /** Container started → the health path answered. */
  afterStartMs: number;
}

async function installThroughBerth(
  run: Running,
  docker: Docker,
  location: string,
  pollMs: number,
  agent: http.Agent,
  installed: Set<string>,
): Promise<BerthInstall> {
  const auth = { authorization: `Bearer ${run.token}` };
  const wall0 = Date.now();
  const t0 = performance.now();
  const reply = await httpRequest('POST', `${run.url}/api/v1/apps/install`, {
    body: { manifest: MANIFEST, location, domain: DOMAIN, accessRestriction: null },
    headers: auth,
    agent,
  });
  const postMs = performance.now() - t0;
  expectStatus(reply, 202, 'POST /api/v1/apps/install');
  const { id, taskId } = JSON.parse(reply.text) as { id: string; taskId: number };
  installed.add(id);

  let state: { installationState: string; error: { message: string } | null };
  for (;;) {
    const got = await httpRequest('GET', `${run.url}/api/v1/apps/${id}`, { headers: auth, agent });
    expectStatus(got, 200, `GET /api/v1/apps/${id}`);
    state = JSON.parse(got.text);
    if (!state.installationState.startsWith('pending_')) break;
    if (performance.now() - t0 > STEP_LIMIT_MS) throw new Error(`install of ${id} still ${state.installationState} after ${STEP_LIMIT_MS / 1000} s`);
    await sleep(pollMs);
  }
  const totalMs = performance.now() - t0;
  const seenWall = wall0 + totalMs;
  if (state.installationState !== 'installed') throw new Error(`install of ${id} ended ${state.installationState}: ${state.error?.message}`);

  // Where the time went: the task row's times and the engine's start time of the container (same host clock).
  const task = (await run.berth.db('tasks').where({ id: taskId }).first('created_at', 'started_at')) as {
    created_at: number | string;
    started_at: number | string | null;
  };
  const [container] = await docker.listContainers({ all: true, filters: { label: [`${LABELS.app}=${id}`] } });
  if (!container) throw new Error(`app ${id} is installed but has no container`);
  const info = await docker.getContainer(container.Id).inspect();
  const containerStarted = Date.parse(info.State.StartedAt);

  const u0 = performance.now();
  expectStatus(await httpRequest('POST', `${run.url}/api/v1/apps/${id}/uninstall`, { headers: auth, agent }), 202, `POST /api/v1/apps/${id}/uninstall`);
  for (;;) {
    const got = await httpRequest('GET', `${run.url}/api/v1/apps/${id}`, { headers: auth, agent });
    if (got.status === 404) break;
    expectStatus(got, 200, `GET /api/v1/apps/${id}`);
    const now = JSON.parse(got.text) as { installationState: string; error: { message: string } | null };
    if (now.installationState === 'error') throw new Error(`uninstall of ${id} failed: ${now.error?.message}`);
    if (performance.now() - u0 > STEP_LIMIT_MS) throw new Error(`uninstall of ${id} not done after ${STEP_LIMIT_MS / 1000} s`);
    await sleep(pollMs);
  }
  const uninstallMs = performance.now() - u0;
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABELS.app}=${id}`] } });
  if (left.length) throw new Error(`app ${id} was uninstalled but the engine still has ${left.length} container(s) for it`);
  installed.delete(id);

  return {
    totalMs,
    postMs,
    queuedMs: Number(task.started_at) - Number(task.created_at),
    toStartMs: containerStarted - wall0,
    createdToStartedMs: containerStarted - Date.parse(info.Created),
    afterStartMs: seenWall - containerStarted,
    uninstallMs,
  };
}

/**
 * A baseline install through dockerode. `spec` undefined: the plain baseline, the issue's "docker create + start of
 * the same image" (default bridge, only the port published). `spec` given: the container Berth creates for the app
 * (services/docker/docker-runtime.ts `create`, services/apps/container-spec.ts): on the user-defined bridge network
 * `spec.networkId`, a named volume (created here, inside the timing, as Berth's install creates it) at /app/data,
 * `Init`, Berth's default memory limit (256 MiB) with no swap, restart policy `no`, json-file logs with Berth's
 * rotation, Berth-like env.
 */
async function installBaseline(
  docker: Docker,
  name: string,
  prefix: string,
  pollMs: number,
  spec?: { networkId: string },
): Promise<BaselineInstall> {
  const port = await new LocalHostPorts().freeLoopbackPort();
  const labels = { [BENCH_LABEL]: prefix };
  const portBindings = { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] };
  const volume = spec ? `${name}-data` : undefined;
  const wall0 = Date.now();
  const t0 = performance.now();
  if (volume) await docker.createVolume({ Name: volume, Labels: labels });
  const tv = performance.now();
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer(
      spec
        ? {
            name,
            Image: IMAGE,
            Env: ['BERTH=1', 'CLOUDRON=1', `APP_ID=${name}`, `APP_ORIGIN=https://${name}.${DOMAIN}`, `APP_DOMAIN=${name}.${DOMAIN}`],
            Labels: labels,
            ExposedPorts: { '8080/tcp': {} },
            HostConfig: {
              Memory: DEFAULT_MEMORY_LIMIT,
              MemorySwap: DEFAULT_MEMORY_LIMIT,
              Init: true,
              RestartPolicy: { Name: 'no' },
              NetworkMode: spec.networkId,
              PortBindings: portBindings,
              Mounts: [{ Type: 'volume', Source: volume!, Target: '/app/data' }],
              LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
            },
          }
        : { name, Image: IMAGE, Labels: labels, ExposedPorts: { '8080/tcp': {} }, HostConfig: { PortBindings: portBindings } },
    );
    const t1 = performance.now();
    await container.start();
    const t2 = performance.now();
    for (;;) {
      const probe = await probeHttp(port, MANIFEST.healthCheckPath, 'baseline.bench-apps.test', 5000);
      if (probe.healthy) break;
      if (performance.now() - t0 > STEP_LIMIT_MS) throw new Error(`baseline container ${name} did not answer ${MANIFEST.healthCheckPath}: ${probe.detail}`);
      await sleep(pollMs);
    }
    const totalMs = performance.now() - t0;
    const info = await container.inspect();
    const containerStarted = Date.parse(info.State.StartedAt);
    return {
      totalMs,
      volumeMs: tv - t0,
      createMs: t1 - tv,
      startMs: t2 - t1,
      toStartMs: containerStarted - wall0,
      createdToStartedMs: containerStarted - Date.parse(info.Created),
      afterStartMs: wall0 + totalMs - containerStarted,
    };
  } finally {
    await container?.remove({ force: true, v: true });
    if (volume) await docker.getVolume(volume).remove();
  }
}

type InstallSide = 'plain' | 'spec' | 'berth';
const INSTALL_SIDES: readonly InstallSide[] = ['plain', 'spec', 'berth'];

async function measureInstalls(
  run: Running,
  docker: Docker,
  prefix: string,
  count: number,
  warmup: number,
  pollMs: number,
  installed: Set<string>,
): Promise<{ berth: BerthInstall[]; plain: BaselineInstall[]; spec: BaselineInstall[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const results = { berth: [] as BerthInstall[], plain: [] as BaselineInstall[], spec: [] as BaselineInstall[] };
  // The same-spec baseline's user-defined bridge, the counterpart of the tenant network: created once per run, like
  // the tenant's, outside the timing; labelled io.berth.bench=<prefix>, so the clean-up sweep removes it.
  const network = await docker.createNetwork({ Name: `${prefix}-net`, Driver: 'bridge', CheckDuplicate: true, Labels: { [BENCH_LABEL]: prefix } });
  let seq = 0;
  try {
    for (let i = 0; i < warmup + count; i++) {
      const measured = i >= warmup;
      const tag = measured ? `install ${i - warmup + 1}` : 'warm-up  ';
      // Rotate which side goes first, second, third.
      const order = INSTALL_SIDES.map((_, k) => INSTALL_SIDES[(i + k) % INSTALL_SIDES.length]);
      for (const side of order) {
        const n = seq++;
        if (side === 'berth') {
          const r = await installThroughBerth(run, docker, `bench-${n}`, pollMs, agent, installed);
          if (measured) results.berth.push(r);
          console.log(
            `  ${tag} berth     ${fmtMs(r.totalMs).padStart(5)} ms  ` +
              `(to container start ${fmtMs(r.toStartMs)} [POST ${fmtMs(r.postMs)}, queued ${fmtMs(r.queuedMs)}, Created → started ` +
              `${fmtMs(r.createdToStartedMs)}], container start → installed ${fmtMs(r.afterStartMs)}; uninstall ${fmtMs(r.uninstallMs)} ms)`,
          );
        } else {
          const r = await installBaseline(docker, `${prefix}-${side}-${n}`, prefix, pollMs, side === 'spec' ? { networkId: network.id } : undefined);
          if (measured) results[side].push(r);
          console.log(
            `  ${tag} ${side === 'spec' ? 'same spec' : 'plain    '} ${fmtMs(r.totalMs).padStart(5)} ms  ` +
              `(to container start ${fmtMs(r.toStartMs)} [${side === 'spec' ? `volume ${fmtMs(r.volumeMs)}, ` : ''}create ${fmtMs(r.createMs)}, ` +
              `start call ${fmtMs(r.startMs)}, Created → started ${fmtMs(r.createdToStartedMs)}], container start → healthy ${fmtMs(r.afterStartMs)})`,
          );
        }
      }
    }
  } finally {
    agent.destroy();
  }
  return results;
}

// ————————————————————————————————————— part 2: GET /api/v1/apps —————————————————————————————————————

/** A plausible installed app, without a container. Every tenth has a TCP port binding (a second query's worth). */
function fakeApp(instanceId: string, i: number, base: number): App {
  const withPort = i % 10 === 0;
  const manifest: Manifest = {
    ...MANIFEST,
    id: `io.berth.bench.app${i % 50}`,
    title: `Bench app ${i % 50}`,
    description: 'An app row for bench:apps; it has no container.',
    ...(withPort ? { tcpPorts: { SSH_PORT: { title: 'SSH', defaultValue: 2222, containerPort: 22 } } } : {}),
  };
  const at = new Date(base + i * 1000).toISOString();
  return {
    id: `bench-${i.toString().padStart(5, '0')}-${randomBytes(4).toString('hex')}`,
    instanceId,
    appStoreId: null,
    manifest,
    installationState: 'installed',
    runState: 'running',
    health: 'healthy',
    healthTime: at,
    taskId: null,
    error: null,
    location: `app${i}`,
    domain: DOMAIN,
    fqdn: `app${i}.${DOMAIN}`,
    accessRestriction: null,
    label: `App ${i}`,
    tags: ['bench', `group-${i % 7}`],
    memoryLimit: 256 * 1024 * 1024,
    env: { GREETING: `hello ${i}` },
    sso: true,
    enableBackup: true,
    enableAutomaticUpdate: true,
    alternateDomains: [],
    httpPort: 20_000 + i,
    hasIcon: false,
    portBindings: withPort ? [{ envName: 'SSH_PORT', hostPort: 40_000 + i, protocol: 'tcp' }] : [],
    createdAt: at,
    updatedAt: at,
  };
}

/** bench/api.ts's baseline: the parsed body, serialised per request the way res.json does. */
function bareServer(body: unknown): http.Server {
  return http.createServer((req, res) => {
    if (req.url !== '/api/v1/apps') {
      res.writeHead(404).end();
      return;
    }
    const json = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  });
}



// ————————————————————————————————————————————— main —————————————————————————————————————————————

async function main(): Promise<number> {
  const installs = envNumber('BENCH_INSTALLS', 5, { integer: true, min: 1 });
  const installWarmup = envNumber('BENCH_INSTALL_WARMUP', 1, { integer: true, min: 0 });
  const pollMs = envNumber('BENCH_POLL_MS', 25, { min: 1 });
  const appCount = envNumber('BENCH_APPS', 1000, { integer: true, min: 1 });
  const duration = envNumber('BENCH_DURATION', 5, { min: 1 });
  const connections = envNumber('BENCH_CONNECTIONS', 10, { integer: true, min: 1 });
  const warmup = envNumber('BENCH_WARMUP', 1);
  const rounds = envNumber('BENCH_ROUNDS', 1, { integer: true, min: 1 });
  const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const prefix = `bench-apps-${randomBytes(6).toString('hex')}`;
  const benchStarted = performance.now();

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-apps-'));
  const logSink = pino.destination('/dev/null');
  const configFor = (sub: string) => benchConfig(path.join(dataDir, sub), redisUrl, prefix);

  const berths: Berth[] = [];
  const servers: http.Server[] = [];
  const instanceIds = new Set<string>();
  /** Apps installed and not (yet) uninstalled: what clean-up must take out of the engine. */
  const installed = new Set<string>();
  let docker: Docker | undefined;
  let loadgen: LoadGenerator | undefined;
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const close = async (run: Running) => {
    await closeServer(run.server);
    await run.berth.close().catch((err: unknown) => console.error('closing Berth failed:', err));
    berths.splice(berths.indexOf(run.berth), 1);
  };

  try {
    const installConfig = configFor('install');
    docker = createDocker(installConfig.dockerHost);
    await docker.ping().catch((err: unknown) => {
      throw new Error(
        `the Docker engine at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'} does not answer (${(err as Error).message}); ` +
          'export DOCKER_HOST (bash scripts/dockerd.sh start prints it)',
      );
    });
    await docker.getImage(IMAGE).inspect().catch(() => {
      throw new Error(`the image ${IMAGE} is not on the engine: run bash scripts/build-images.sh --test`);
    });

    console.log(
      `bench:apps — node ${process.version}, ${os.cpus().length} CPUs, Docker ${(await docker.version()).Version} at ` +
        `${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}, Redis ${redisUrl} prefix ${prefix}, data in ${dataDir}, ` +
        `log level ${installConfig.logLevel} → /dev/null`,
    );

    // ——— part 1 ———
    console.log(
      `\n1. Install ${IMAGE} until healthy: Berth (POST /apps/install … installed) vs dockerode create + start + health poll, ` +
        `plain and with Berth's container spec (tenant-like network, volume, init, memory limit); ` +
        `${installs} measured + ${installWarmup} warm-up per side, polling every ${pollMs} ms`,
    );
    const installRun = await startBerth(installConfig, redisUrl, logSink, { workers: true, domain: DOMAIN }, { berths, servers });
    instanceIds.add(installRun.instanceId);
    const installResults = await measureInstalls(installRun, docker, prefix, installs, installWarmup, pollMs, installed);
    await close(installRun);

    // ——— part 2 ———
    console.log(
      `\n2. GET /api/v1/apps with ${fmtRate(appCount)} apps: Berth (no workers) vs bare node:http with the same body; ` +
        `${connections} connections, ${duration}s per run, ${warmup}s warm-up, ${rounds} round(s)`,
    );
    const listRun = await startBerth(configFor('list'), redisUrl, logSink, { workers: false, domain: DOMAIN }, { berths, servers });
    instanceIds.add(listRun.instanceId);
    const headers = { authorization: `Bearer ${listRun.token}` };
    loadgen = await LoadGenerator.start();
    const lg = loadgen;
    const measure = async (url: string, seconds: number): Promise<Measured> => {
      const before = performance.eventLoopUtilization();
      const result = await lg.run({ url: `${url}/api/v1/apps`, headers, duration: seconds, connections });
      return { ...result, serverBusy: performance.eventLoopUtilization(before).utilization };
    };
    const report = (label: string, run: Measured) =>
      console.log(`  ${label.padEnd(22)} ${fmtRate(run.rps).padStart(7)} req/s  (server busy ${pct(run.serverBusy)}, load generator busy ${pct(run.loadgenBusy)})`);

    // Context: the same route with no apps at all.
    const empty = await httpRequest('GET', `${listRun.url}/api/v1/apps`, { headers });
    expectStatus(empty, 200, 'GET /api/v1/apps');
    if ((JSON.parse(empty.text) as { apps: unknown[] }).apps.length !== 0) throw new Error('the new tenant already has apps');
    if (warmup > 0) await measure(listRun.url, warmup);
    const emptyRun = await measure(listRun.url, duration);
    report('berth, 0 apps', emptyRun);

    const base = Date.parse('2026-01-01T00:00:00Z');
    const i0 = performance.now();
    for (let i = 0; i < appCount; i++) await listRun.berth.store.apps.insert(fakeApp(listRun.instanceId, i, base));
    const insertS = (performance.now() - i0) / 1000;
    console.log(`  inserted ${fmtRate(appCount)} app rows through store.apps.insert in ${insertS.toFixed(2)} s (${fmtRate(appCount / insertS)} rows/s)`);

    const full = await httpRequest('GET', `${listRun.url}/api/v1/apps`, { headers });
    expectStatus(full, 200, 'GET /api/v1/apps');
    const body = JSON.parse(full.text) as { apps: unknown[] };
    if (body.apps.length !== appCount) throw new Error(`GET /api/v1/apps returned ${body.apps.length} apps, expected ${appCount}`);
    const bare = bareServer(body);
    servers.push(bare);
    const bareUrl = await listen(bare);
    const fromBare = await httpRequest('GET', `${bareUrl}/api/v1/apps`);
    if (fromBare.text !== full.text) throw new Error("the bare server's body differs from Berth's");
    console.log(`  body: ${(Buffer.byteLength(full.text) / 1024).toFixed(0)} KiB`);

    if (warmup > 0) {
      await measure(listRun.url, warmup);
      await measure(bareUrl, warmup);
    }
    const runs: Record<'berth' | 'bare', Measured[]> = { berth: [], bare: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['berth', 'bare'] as const) : (['bare', 'berth'] as const);
      for (const side of order) {
        const run = await measure(side === 'berth' ? listRun.url : bareUrl, duration);
        runs[side].push(run);
        report(side === 'berth' ? `berth, ${appCount} apps` : `bare, same body`, run);
      }
    }
    await loadgen.close();
    loadgen = undefined;
    await closeServer(bare);
    await close(listRun);

    // ——— results ———
    const med = <T>(rows: T[], key: keyof T) => median(rows.map((r) => Number(r[key])));
    const berthMs = med(installResults.berth, 'totalMs');
    const baseMs = med(installResults.plain, 'totalMs');
    const specMs = med(installResults.spec, 'totalMs');
    const installRatio = berthMs / baseMs;
    const ownRatio = berthMs / specMs;
    const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${fmtMs(Math.abs(ms))}`;
    const toStart = (rows: Array<BerthInstall | BaselineInstall>) => med(rows, 'toStartMs');
    const afterStart = (rows: Array<BerthInstall | BaselineInstall>) => med(rows, 'afterStartMs');
    const createdToStarted = (rows: Array<BerthInstall | BaselineInstall>) => med(rows, 'createdToStartedMs');
    /** Sent → the engine's Created: for Berth its API, queue and worker steps; for the baselines the volume and the create request. */
    const beforeCreate = (rows: Array<BerthInstall | BaselineInstall>) => median(rows.map((r) => r.toStartMs - r.createdToStartedMs));
    console.log('\nInstall (medians, ms)');
    console.log(
      table(
        ['side', 'install → healthy', 'ratio', 'target', 'verdict', 'breakdown (medians)'],
        [
          [
            'docker create + start, plain (baseline)',
            fmtMs(baseMs),
            '1.00×',
            '',
            '',
            `to container start ${fmtMs(toStart(installResults.plain))} ` +
              `[create ${fmtMs(med(installResults.plain, 'createMs'))}, start call ${fmtMs(med(installResults.plain, 'startMs'))}, ` +
              `Created → started ${fmtMs(createdToStarted(installResults.plain))}], ` +
              `container start → healthy ${fmtMs(afterStart(installResults.plain))}`,
          ],
          [
            "docker, Berth's container spec",
            fmtMs(specMs),
            `${(specMs / baseMs).toFixed(2)}× plain`,
            '',
            'context',
            `to container start ${fmtMs(toStart(installResults.spec))} ` +
              `[volume ${fmtMs(med(installResults.spec, 'volumeMs'))}, create ${fmtMs(med(installResults.spec, 'createMs'))}, ` +
              `start call ${fmtMs(med(installResults.spec, 'startMs'))}, Created → started ${fmtMs(createdToStarted(installResults.spec))}], ` +
              `container start → healthy ${fmtMs(afterStart(installResults.spec))}`,
          ],
          [
            'Berth POST /apps/install → installed',
            fmtMs(berthMs),
            `${installRatio.toFixed(2)}× plain`,
            `≤ ${MAX_INSTALL_RATIO.toFixed(2)}× plain`,
            installRatio <= MAX_INSTALL_RATIO ? 'PASS' : 'FAIL',
            `to container start ${fmtMs(toStart(installResults.berth))} ` +
              `[POST ${fmtMs(med(installResults.berth, 'postMs'))}, queued ${fmtMs(med(installResults.berth, 'queuedMs'))}, ` +
              `Created → started ${fmtMs(createdToStarted(installResults.berth))}], ` +
              `container start → installed ${fmtMs(afterStart(installResults.berth))}`,
          ],
          [
            "Berth's own overhead: Berth / same spec",
            signed(berthMs - specMs),
            `${ownRatio.toFixed(2)}× spec`,
            'none',
            'context',
            `to container start ${signed(toStart(installResults.berth) - toStart(installResults.spec))} ` +
              `[before Created ${signed(beforeCreate(installResults.berth) - beforeCreate(installResults.spec))}, ` +
              `Created → started ${signed(createdToStarted(installResults.berth) - createdToStarted(installResults.spec))}], ` +
              `container start → installed/healthy ${signed(afterStart(installResults.berth) - afterStart(installResults.spec))}`,
          ],
        ],
      ),
    );
    console.log(
      `(plain vs same spec: ${signed(specMs - baseMs)} ms, what the engine charges for Berth's container spec, mostly the ` +
        `user-defined bridge network each tenant's apps get for isolation; the target is the issue's metric, against plain)`,
    );
    console.log(`(uninstall through the API, not part of the ratio: median ${fmtMs(med(installResults.berth, 'uninstallMs'))} ms)`);

    const b = combineRuns(runs.berth);
    const n = combineRuns(runs.bare);
    const listRatio = b.rps / n.rps;
    const broken = [b, n, emptyRun].some((r) => r.non2xx > 0 || r.errors > 0 || r.total === 0);
    console.log(`\nGET /api/v1/apps (baseline: bare node:http answering the same ${fmtRate(appCount)}-app body; no target)`);
    console.log(
      table(
        ['server', 'req/s', 'ratio', 'p50 ms', 'p99 ms', 'server busy', 'lg busy'],
        [
          ['bare node:http, same body', fmtRate(n.rps), '1.00×', n.p50.toFixed(1), n.p99.toFixed(1), pct(n.serverBusy), pct(n.loadgenBusy)],
          [`Berth, ${fmtRate(appCount)} apps`, fmtRate(b.rps), `${listRatio.toFixed(2)}×`, b.p50.toFixed(1), b.p99.toFixed(1), pct(b.serverBusy), pct(b.loadgenBusy)],
          ['Berth, 0 apps (context)', fmtRate(emptyRun.rps), '', emptyRun.p50.toFixed(1), emptyRun.p99.toFixed(1), pct(emptyRun.serverBusy), pct(emptyRun.loadgenBusy)],
        ],
      ),
    );
    console.log('(busy: event-loop utilisation of the server thread; lg: of the load-generator thread)');
    if (n.serverBusy < 0.9 && n.loadgenBusy > 0.95) console.log('note: the bare run looks load-generator bound; the ratio is flattering');
    if (broken) {
      console.log(
        `note: non-2xx berth=${b.non2xx} bare=${n.non2xx} empty=${emptyRun.non2xx}, socket errors berth=${b.errors} bare=${n.errors} empty=${emptyRun.errors}`,
      );
    }
    console.log(`\nbench:apps took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
    return broken ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await loadgen?.close().catch(() => undefined);
    for (const server of servers) await closeServer(server).catch(() => undefined);
    for (const berth of [...berths]) await berth.close().catch((err: unknown) => console.error('closing Berth failed:', err));
    await cleanUpRun({ docker, redisUrl, prefix, apps: installed, instanceIds });
    logSink.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench('bench:apps', main);
