import { Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis connection for REDIS_URL (`redis://`, `rediss://` or `unix:///path/redis.sock`).
 * `maxRetriesPerRequest: null` is what BullMQ workers need; commands fail fast while Redis is away
 * instead of queueing in memory.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis({ ...redisOptions(url), enableOfflineQueue: false, ...options });
}

/** Connection options for a Redis URL, for clients that make their own connections (BullMQ workers). */
export function redisOptions(url: string): RedisOptions {
  const base: RedisOptions = { maxRetriesPerRequest: null };
  if (url.startsWith('unix://')) return { ...base, path: url.slice('unix://'.length) };
  const parsed = new URL(url);
  return {
    ...base,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
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
