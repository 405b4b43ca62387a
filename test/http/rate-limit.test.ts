import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import supertest from 'supertest';
import { rateLimit, tokenOrAddress } from '../../api/http/rate-limit';
import { renderSchedulerError } from '../../api/scheduler/errors';
import { unauthorized } from '../../services/core/errors';
import { createLogger } from '../../services/core/logger';
import { RedisRateLimiter, type RateLimits } from '../../services/ratelimit/rate-limiter';
import { TEST_REDIS_URL } from '../helpers/app';

/** 12:00:10 on a fixed day: the minute's window ends in 50 s, the second's in 1 s. */
const NOW = Date.UTC(2026, 0, 1, 12, 0, 10, 0);
const TOKENS: Record<string, string> = { bt_alice: 'tid-alice', bt_bob: 'tid-bob' };
const authenticate = async (secret: string) => {
  if (!TOKENS[secret]) throw unauthorized('Invalid token');
  return { tokenId: TOKENS[secret] };
};

const connections: Redis[] = [];
afterAll(async () => {
  await Promise.all(connections.filter((redis) => redis.status === 'ready').map((redis) => redis.quit()));
});

/** One "API process": its own Redis connection and limiter, sharing the prefix (the box) with the others. */
function apiProcess(prefix: string, limits: RateLimits, options: { redisUrl?: string; warnings?: string[]; clock?: () => Date } = {}) {
  // No reconnecting: the client pointed at nothing gives up at once, and leaves no timer behind.
  const redis = new Redis(options.redisUrl ?? TEST_REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  connections.push(redis);
  const logger = createLogger('silent');
  if (options.warnings) logger.warn = ((_obj: unknown, message: string) => void options.warnings!.push(message)) as typeof logger.warn;
  const limiter = new RedisRateLimiter({ redis, prefix, clock: options.clock ?? (() => new Date(NOW)), limits });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(rateLimit({ limiter, clientKey: tokenOrAddress(authenticate), render: renderSchedulerError, logger }));
  app.get('/api/jobs', (_req, res) => void res.json({ jobs: [], total: 0, running: 0 }));
  return { app: supertest(app), redis };
}

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

async function ready(redis: Redis) {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
}

describe('rate limiting shared through Redis', () => {
  it('counts one client across two API processes and answers 429 in the seed format past the limit', async () => {
    const prefix = `rl-${randomUUID()}`;
    const a = apiProcess(prefix, { perMinute: 5, burst: 100 });
    const b = apiProcess(prefix, { perMinute: 5, burst: 100 });
    await Promise.all([ready(a.redis), ready(b.redis)]);

    const first = await a.app.get('/api/jobs').set(bearer('bt_alice')).expect(200);
    expect(first.headers['x-ratelimit-limit']).toBe('5');
    expect(first.headers['x-ratelimit-remaining']).toBe('4');
    expect(first.headers['x-ratelimit-reset']).toBe(String((NOW - 10_000) / 1000 + 60));
    // Alternating processes: the count is one.
    await b.app.get('/api/jobs').set(bearer('bt_alice')).expect(200);
    await a.app.get('/api/jobs').set(bearer('bt_alice')).expect(200);
    await b.app.get('/api/jobs').set(bearer('bt_alice')).expect(200);
    const last = await a.app.get('/api/jobs').set(bearer('bt_alice')).expect(200);
    expect(last.headers['x-ratelimit-remaining']).toBe('0');

    const refused = await b.app.get('/api/jobs').set(bearer('bt_alice')).expect(429);
    expect(refused.headers['retry-after']).toBe('50');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(refused.body.error.message).toMatch(/5 requests per minute/);

    // Another token has its own allowance, on either process.
    const bob = await b.app.get('/api/jobs').set(bearer('bt_bob')).expect(200);
    expect(bob.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('counts requests without a valid token by address, so made-up tokens buy no allowance', async () => {
    const prefix = `rl-${randomUUID()}`;
    const a = apiProcess(prefix, { perMinute: 2, burst: 100 });
    await ready(a.redis);
    await a.app.get('/api/jobs').set(bearer('bt_made-up-1')).expect(200);
    await a.app.get('/api/jobs').set(bearer('bt_made-up-2')).expect(200);
    await a.app.get('/api/jobs').expect(429);
    // The token counts apart from the address it comes from.
    await a.app.get('/api/jobs').query({ token: 'bt_alice' }).expect(200);
  });

  it('limits a burst within one second, with Retry-After 1, and lets the client on in the next second', async () => {
    const prefix = `rl-${randomUUID()}`;
    let now = NOW;
    const a = apiProcess(prefix, { perMinute: 100, burst: 3 }, { clock: () => new Date(now) });
    await ready(a.redis);
    for (let i = 0; i < 3; i++) await a.app.get('/api/jobs').set(bearer('bt_alice')).expect(200);
    const refused = await a.app.get('/api/jobs').set(bearer('bt_alice')).expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['x-ratelimit-remaining']).toBe('96');
    now += 1000;
    const next = await a.app.get('/api/jobs').set(bearer('bt_alice')).expect(200);
    expect(next.headers['x-ratelimit-remaining']).toBe('95');
  });

  it('starts a new count when the minute turns', async () => {
    const prefix = `rl-${randomUUID()}`;
    let now = NOW;
    const a = apiProcess(prefix, { perMinute: 1, burst: 100 }, { clock: () => new Date(now) });
    await ready(a.redis);
    await a.app.get('/api/jobs').expect(200);
    await a.app.get('/api/jobs').expect(429);
    now += 50_000;
    const fresh = await a.app.get('/api/jobs').expect(200);
    expect(fresh.headers['x-ratelimit-reset']).toBe(String((NOW - 10_000) / 1000 + 120));
  });

  it('leaves no key without an expiry', async () => {
    const prefix = `rl-${randomUUID()}`;
    const a = apiProcess(prefix, { perMinute: 10, burst: 10 });
    await ready(a.redis);
    await a.app.get('/api/jobs').set(bearer('bt_alice')).expect(200);
    const keys = await a.redis.keys(`${prefix}:ratelimit:*`);
    expect(keys.sort()).toEqual([`${prefix}:ratelimit:token:tid-alice:m:${Math.floor(NOW / 60_000)}`, `${prefix}:ratelimit:token:tid-alice:s:${NOW / 1000}`]);
    for (const key of keys) expect(await a.redis.pttl(key)).toBeGreaterThan(0);
  });

  it('fails open with one logged warning when Redis is away', async () => {
    const warnings: string[] = [];
    // Nothing listens on port 1: every command fails at once.
    const away = apiProcess(`rl-${randomUUID()}`, { perMinute: 1, burst: 1 }, { redisUrl: 'redis://127.0.0.1:1', warnings });
    for (let i = 0; i < 3; i++) {
      const res = await away.app.get('/api/jobs').expect(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    expect(warnings).toEqual(['rate limiter unavailable (Redis): requests pass unlimited until it is back']);
  });

  it('is off with a limit of 0, and never counts CORS preflights', async () => {
    const off = apiProcess(`rl-${randomUUID()}`, { perMinute: 0, burst: 10 });
    await ready(off.redis);
    const res = await off.app.get('/api/jobs').expect(200);
    expect(res.headers['x-ratelimit-limit']).toBeUndefined();

    const on = apiProcess(`rl-${randomUUID()}`, { perMinute: 1, burst: 10 });
    await ready(on.redis);
    for (let i = 0; i < 3; i++) await on.app.options('/api/jobs').expect((r) => expect(r.status).not.toBe(429));
    await on.app.get('/api/jobs').expect(200);
  });
});
