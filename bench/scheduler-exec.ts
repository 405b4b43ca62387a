import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { composeBerth, type Berth } from '../server/compose';
import { LABELS } from '../services/apps/app-runtime';
import { loadConfig } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { createDocker } from '../services/docker/docker-client';
import { pingRedis } from '../services/queue/redis';
import { RUN_JOB_TASK_TYPE } from '../services/scheduler/scheduler-tasks';
import { BENCH_LABEL, cleanUpRun } from './berth-box';
import { median, percentile } from './common';

/**
 * Part 2 of bench:scheduler: `exec` jobs against running containers through Berth's real Docker job runtime, against
 * raw `docker exec` through dockerode, in the same run on the same engine and containers.
 *
 * The containers: BENCH_EXEC_CONTAINERS `berth/busybox:1` containers running `sleep`, labelled as the default
 * tenant's (`io.berth.instance`), so the tenant's jobs may exec in them. One `exec` job per container, command
 * `true`. Berth: composed in-process with workers (as `berth serve`), its clock off; the bench starts
 * BENCH_EXECS executions with `schedulerExecutions.runNow` (what `POST /api/job/{name}/run` calls), round-robin over
 * the jobs, and the run ends at the newest execution's `ended_at`. Each goes the production way: the execution row,
 * its `scheduler.run` task through BullMQ, the worker, the runtime's container look-up, exec create, start, the
 * output stream, the exit code, the settle hook (history, last run, events). Raw: the same number of `exec` create
 * + start (hijacked) + read to the end + inspect for the exit code, with as many in flight as Berth runs at once
 * (the smaller of the task type's concurrency and BERTH_SCHEDULER_MAX_CONCURRENT). Target: Berth ≥ 0.7 × raw.
 */

export interface ExecSettings {
  execs: number;
  containers: number;
  warmup: number;
  rounds: number;
  redisUrl: string;
  passThrough: Record<string, string>;
}

export interface ExecResult {
  berthRate: number;
  rawRate: number;
  berthP50: number;
  berthP99: number;
  rawP50: number;
  rawP99: number;
  concurrency: number;
}

const IMAGE = 'berth/busybox:1';
const COMMAND = ['true'];
const STALL_MS = 120_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One raw `docker exec`: create, start (hijacked), read to the end, ask for the exit code until the engine has it. */
async function rawExec(docker: Docker, containerId: string): Promise<number> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: COMMAND, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  await new Promise<void>((resolve) => {
    stream.on('data', () => undefined);
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  stream.destroy();
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await sleep(20 * (i + 1));
  }
  throw new Error('the engine did not report the exec exit code');
}

async function runRaw(docker: Docker, containers: string[], count: number, concurrency: number): Promise<{ rate: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      const code = await rawExec(docker, containers[i % containers.length]);
      if (code !== 0) throw new Error(`raw docker exec exited ${code}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { rate: (count / (performance.now() - started)) * 1000, latencies: latencies.sort((a, b) => a - b) };
}

async function runBerth(berth: Berth, instanceId: string, jobs: string[], count: number): Promise<{ rate: number; latencies: number[] }> {
  const actor = { instanceId, userId: null, tokenId: null, ip: null };
  const started = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await berth.scheduler.schedulerExecutions.runNow(actor, jobs[i % jobs.length])).id);
  let lastProgress = Date.now();
  let lastDone = -1;
  for (;;) {
    const rows = (await berth.db('scheduler_executions').whereIn('id', ids).select('status', 'created_at', 'ended_at')) as Array<{ status: string; created_at: number | string; ended_at: number | string | null }>;
    const done = rows.filter((r) => !['queued', 'running'].includes(r.status));
    if (done.length === count) {
      const bad = done.filter((r) => r.status !== 'success');
      if (bad.length) throw new Error(`${bad.length} Berth execution(s) ended ${[...new Set(bad.map((r) => r.status))].join(', ')}`);
      const ended = Math.max(...done.map((r) => Number(r.ended_at)));
      const latencies = done.map((r) => Number(r.ended_at) - Number(r.created_at)).sort((a, b) => a - b);
      return { rate: (count / Math.max(1, ended - started)) * 1000, latencies };
    }
    if (done.length !== lastDone) [lastDone, lastProgress] = [done.length, Date.now()];
    else if (Date.now() - lastProgress > STALL_MS) throw new Error(`Berth stalled at ${done.length}/${count} executions`);
    await sleep(50);
  }
}

export async function runExecBench(s: ExecSettings, progress: (what: string) => void): Promise<ExecResult> {
  const hex = randomBytes(6).toString('hex');
  const prefix = `bench-scheduler-exec-${hex}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-scheduler-exec-'));
  let berth: Berth | undefined;
  let docker: Docker | undefined;
  let instanceId: string | undefined;
  try {
    const config = loadConfig({
      ...s.passThrough,
      BERTH_DATA_DIR: dataDir,
      REDIS_URL: s.redisUrl,
      BERTH_REDIS_PREFIX: prefix,
      DOCKER_HOST: process.env.DOCKER_HOST,
      BERTH_LOG_LEVEL: 'silent',
    });
    docker = createDocker(config.dockerHost);
    await docker.ping().catch((err: unknown) => {
      throw new Error(`the Docker engine is not reachable at ${process.env.DOCKER_HOST ?? 'the default socket'} (bash scripts/dockerd.sh start): ${(err as Error).message}`);
    });
    await docker.getImage(IMAGE).inspect().catch(() => {
      throw new Error(`${IMAGE} is not on the engine (bash scripts/build-images.sh)`);
    });
    berth = await composeBerth(config, { redisUrl: s.redisUrl, workers: true, schedules: false, logger: createLogger('silent') });
    await pingRedis(berth.redis, 5000);
    instanceId = (await berth.store.instances.findDefault())!.id;
    const concurrency = Math.min(config.taskConcurrency[RUN_JOB_TASK_TYPE.name] ?? RUN_JOB_TASK_TYPE.concurrency, config.scheduler.maxConcurrent);

    const containers: string[] = [];
    const jobs: string[] = [];
    for (let k = 0; k < s.containers; k++) {
      const name = `bench-sched-${hex}-${k}`;
      const container = await docker.createContainer({
        name,
        Image: IMAGE,
        Cmd: ['sleep', '3600'],
        Labels: { [LABELS.instance]: instanceId, [BENCH_LABEL]: prefix },
        HostConfig: { Init: true },
      });
      await container.start();
      containers.push(container.id);
      const actor = { instanceId, userId: null, tokenId: null, ip: null };
      await berth.scheduler.schedulerJobs.put(actor, `exec-${k}`, { type: 'exec', container: name, command: COMMAND.join(' '), schedule: '@yearly', historyLimit: 1000 });
      jobs.push(`exec-${k}`);
    }
    progress(`${s.containers} sleep container(s) of ${IMAGE} running, one exec job each; ${concurrency} execution(s) at once on both sides`);

    if (s.warmup > 0) {
      await runRaw(docker, containers, s.warmup, concurrency);
      await runBerth(berth, instanceId, jobs, s.warmup);
    }
    const berthRuns: Array<{ rate: number; latencies: number[] }> = [];
    const rawRuns: Array<{ rate: number; latencies: number[] }> = [];
    for (let round = 0; round < s.rounds; round++) {
      const order = round % 2 === 0 ? (['raw', 'berth'] as const) : (['berth', 'raw'] as const);
      for (const side of order) {
        const result = side === 'raw' ? await runRaw(docker, containers, s.execs, concurrency) : await runBerth(berth, instanceId, jobs, s.execs);
        (side === 'raw' ? rawRuns : berthRuns).push(result);
        progress(`round ${round + 1} ${side.padEnd(5)} ${result.rate.toFixed(1)} executions/s`);
      }
    }
    const pick = (runs: typeof rawRuns, p: number) => median(runs.map((r) => percentile(r.latencies, p)));
    return {
      berthRate: median(berthRuns.map((r) => r.rate)),
      rawRate: median(rawRuns.map((r) => r.rate)),
      berthP50: pick(berthRuns, 50),
      berthP99: pick(berthRuns, 99),
      rawP50: pick(rawRuns, 50),
      rawP99: pick(rawRuns, 99),
      concurrency,
    };
  } finally {
    await berth?.close().catch((err: unknown) => console.error('closing Berth failed:', err));
    await cleanUpRun({ docker, redisUrl: s.redisUrl, prefix, apps: new Set(), instanceIds: new Set(instanceId ? [instanceId] : []) });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
