import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock';

export interface RateLimits {
  /** Requests per client per minute; 0: no limit. */
  perMinute: number;
  /** Requests per client within any one second. */
  burst: number;
}

/** The answer for one request, in the terms of the seed's headers. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds at which the minute's count starts again (`X-RateLimit-Reset`). */
  resetAt: number;
  /** Seconds to wait when refused (`Retry-After`). */
  retryAfter: number;
}

/**
 * Both windows in one round trip and one atomic step: a count is created with its expiry, so a process that
 * dies between the two can never leave a key that never expires (INCR then PEXPIRE from the client could).
 */
const HIT = `
local minute = redis.call('INCR', KEYS[1])
if minute == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local second = redis.call('INCR', KEYS[2])
if second == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return {minute, second}
`;

/** A Redis that answers nothing (connected, but stuck) must not hold every request: past this, fail open. */
const REDIS_WAIT_MS = 500;

/**
 * Fixed windows counted in Redis, so every API process shares one count per client: a client spreading its
 * requests over several `berth serve` processes behind a balancer gets the limit once, not once per process.
 * Two windows: `perMinute` in the current calendar minute (what the headers report), and `burst` in the
 * current second, which also stops a client from spending a whole minute's allowance at a window's edge.
 * A refused request counts too, so hammering does not earn a client anything.
 */
export class RedisRateLimiter {
  constructor(private readonly deps: { redis: Redis; prefix: string; clock: Clock; limits: RateLimits }) {}

  get limits(): RateLimits {
    return this.deps.limits;
  }

  /** Counts one request of `client`; rejects when Redis does not answer (the caller decides to fail open). */
  async hit(client: string): Promise<RateDecision> {
    const { perMinute, burst } = this.deps.limits;
    const now = this.deps.clock().getTime();
    const minute = Math.floor(now / 60_000);
    const second = Math.floor(now / 1000);
    const base = `${this.deps.prefix}:ratelimit:${client}`;
    // A little past the window's end: processes whose clocks differ slightly still find the same key alive.
    const minuteTtl = (minute + 1) * 60_000 - now + 5000;
    const secondTtl = (second + 1) * 1000 - now + 2000;
    const [inMinute, inSecond] = (await withTimeout(
      this.deps.redis.eval(HIT, 2, `${base}:m:${minute}`, `${base}:s:${second}`, minuteTtl, secondTtl),
      REDIS_WAIT_MS,
    )) as [number, number];
    const resetAt = (minute + 1) * 60;
    const overMinute = inMinute > perMinute;
    const overBurst = inSecond > burst;
    return {
      allowed: !overMinute && !overBurst,
      limit: perMinute,
      remaining: Math.max(0, perMinute - inMinute),
      resetAt,
      retryAfter: overMinute ? Math.max(1, Math.ceil(resetAt - now / 1000)) : overBurst ? 1 : 0,
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
