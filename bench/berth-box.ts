import http from 'node:http';
import type Docker from 'dockerode';
import type pino from 'pino';
import { composeBerth, type Berth } from '../server/compose';
import { LABELS } from '../services/apps/app-runtime';
import { loadConfig, type Config } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { createRedis, pingRedis } from '../services/queue/redis';
import { deleteKeys, httpRequest, listen, type Reply } from './common';

/** What the benches that install apps share: a Berth composed in-process, activated, and the engine sweep. */

export const OWNER = { username: 'benchowner', email: 'benchowner@example.com', password: 'bench-Pa55word!', displayName: 'Bench Owner' };
/** The label on containers, volumes and networks a bench makes itself (its baselines). */
export const BENCH_LABEL = 'io.berth.bench';

export function expectStatus(reply: Reply, status: number, what: string): void {
  if (reply.status !== status) throw new Error(`${what} answered ${reply.status} (expected ${status}): ${reply.text.slice(0, 500)}`);
}

/** A bench Berth's configuration: its data dir, the real Redis under the run's prefix, the engine at DOCKER_HOST. */
export function benchConfig(dataDir: string, redisUrl: string, prefix: string): Config {
  return loadConfig({
    BERTH_DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    BERTH_REDIS_PREFIX: prefix,
    DOCKER_HOST: process.env.DOCKER_HOST,
    BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL?.trim() || 'info',
    BERTH_SHUTDOWN_GRACE_SECS: '10',
  });
}

/** One Berth in-process, listening on loopback, activated. */
export interface Running {
  berth: Berth;
  server: http.Server;
  url: string;
  token: string;
  instanceId: string;
}

/**
 * Composes Berth, listens, activates the box and adds `domain` (noop DNS). `track` learns of the Berth and its
 * server as soon as they exist, so a failure further on still closes them.
 */
export async function startBerth(
  config: Config,
  redisUrl: string,
  logSink: pino.DestinationStream,
  options: { workers: boolean; domain: string },
  track: { berths: Berth[]; servers: http.Server[] },
): Promise<Running> {
  const berth = await composeBerth(config, { redisUrl, workers: options.workers, logger: createLogger(config.logLevel, logSink) });
  track.berths.push(berth);
  const server = http.createServer(berth.http);
  track.servers.push(server);
  await pingRedis(berth.redis, 5000);
  const url = await listen(server);
  const activated = await httpRequest('POST', `${url}/api/v1/cloudron/activate`, { body: OWNER });
  expectStatus(activated, 201, 'POST /api/v1/cloudron/activate');
  const token = (JSON.parse(activated.text) as { token: string }).token;
  // Apps install only at domains the tenant has added; noop leaves DNS alone.
  const domain = await httpRequest('POST', `${url}/api/v1/domains`, { body: { domain: options.domain, provider: 'noop', config: {} }, headers: { authorization: `Bearer ${token}` } });
  expectStatus(domain, 201, 'POST /api/v1/domains');
  const instanceId = (await berth.store.instances.findDefault())!.id;
  return { berth, server, url, token, instanceId };
}

/** Takes out of the engine whatever this run created and did not remove: app containers and volumes, the tenant networks, baseline containers. */
export async function sweepEngine(docker: Docker, prefix: string, apps: Set<string>, instanceIds: Set<string>) {
  const swept = { containers: 0, volumes: 0, networks: 0 };
  const attempt = async (kind: keyof typeof swept, what: string, work: () => Promise<unknown>) => {
    await work().then(
      () => swept[kind]++,
      (err: unknown) => console.error(`clean-up: could not remove ${what}:`, (err as Error).message),
    );
  };
  const filters = [...[...apps].map((id) => `${LABELS.app}=${id}`), ...[...instanceIds].map((id) => `${LABELS.instance}=${id}`), `${BENCH_LABEL}=${prefix}`];
  for (const label of filters) {
    const containers = await docker.listContainers({ all: true, filters: { label: [label] } }).catch(() => []);
    for (const c of containers) await attempt('containers', `container ${c.Id.slice(0, 12)}`, () => docker.getContainer(c.Id).remove({ force: true, v: true }));
    const volumes = (await docker.listVolumes({ filters: { label: [label] } }).catch(() => ({ Volumes: [] }))).Volumes ?? [];
    for (const v of volumes) await attempt('volumes', `volume ${v.Name}`, () => docker.getVolume(v.Name).remove());
    for (const net of await docker.listNetworks({ filters: { label: [label] } }).catch(() => [])) {
      await attempt('networks', `network ${net.Name}`, () => docker.getNetwork(net.Id).remove());
    }
  }
  return swept;
}

/** After a run: takes out of the engine what it left (when the engine was reached) and deletes its Redis keys. */
export async function cleanUpRun(run: { docker?: Docker; redisUrl: string; prefix: string; apps: Set<string>; instanceIds: Set<string> }): Promise<void> {
  if (run.docker) {
    const swept = await sweepEngine(run.docker, run.prefix, run.apps, run.instanceIds);
    console.log(`clean-up: removed ${swept.containers} container(s), ${swept.volumes} volume(s), ${swept.networks} network(s) left by this run`);
  }
  const redis = createRedis(run.redisUrl);
  redis.on('error', () => undefined);
  await pingRedis(redis, 5000)
    .then(() => deleteKeys(redis, run.prefix))
    .catch((err: unknown) => console.error(`could not remove Redis keys under ${run.prefix}:`, err));
  redis.disconnect();
}
