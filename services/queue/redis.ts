import { Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis connection for REDIS_URL (`redis://`, `rediss://` or `unix:///path/redis.sock`).
 * `maxRetriesPerRequest: null` is what BullMQ workers need; commands fail fast while Redis is away
 * instead of queueing in memory.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    maxRetriesPerRequest: null,
    enableOfflineQueue: false,
    lazyConnect: false,
    ...options,
  };
  if (url.startsWith('unix://')) return new Redis({ ...base, path: url.slice('unix://'.length) });
  return new Redis(url, base);
}

/** Readiness check: waits briefly for a connection that is still being made, then pings. */
export async function pingRedis(redis: Redis, waitMs = 1500): Promise<void> {
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        reject(new Error('redis is not connected'));
      }, waitMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      redis.once('ready', onReady);
    });
  }
  await redis.ping();
}
