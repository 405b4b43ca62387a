import type { Redis } from 'ioredis';
import { systemClock } from '../../services/core/clock';
import type { Config } from '../../services/core/config';
import { createLogger } from '../../services/core/logger';
import { createDatabase } from '../../services/db/database';
import { migrateLatest } from '../../services/db/migrate';
import { createDocker } from '../../services/docker/docker-client';
import { createRedis } from '../../services/queue/redis';
import { createStore } from '../store';
import type { ComposeOptions } from './options';

export type Core = Awaited<ReturnType<typeof composeCore>>;

/** Config, logging, time and the connections: the database (migrated), its repositories, Redis and Docker. */
export async function composeCore(config: Config, options: ComposeOptions) {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const db = createDatabase(config.databaseUrl, { schema: options.dbSchema });
  await migrateLatest(db);
  const store = createStore(db);
  const redis = createRedis(options.redisUrl);
  let redisAway = false;
  redis.on('error', (err) => {
    if (!redisAway) logger.warn({ err: err.message }, 'Redis is unreachable: new tasks are refused (503) until it is back');
    redisAway = true;
  });
  redis.on('ready', () => {
    if (redisAway) logger.info('Redis is reachable again');
    redisAway = false;
  });
  const docker = createDocker(config.dockerHost);
  return {
    config,
    options,
    logger,
    clock,
    db,
    store,
    redis,
    docker,
    async close() {
      await closeRedis(redis);
      await db.destroy();
    },
  };
}

/** QUIT when connected (a clean close with no lingering timer), else just drop the connection attempts. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
