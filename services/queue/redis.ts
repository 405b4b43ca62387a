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
