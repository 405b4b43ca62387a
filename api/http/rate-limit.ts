import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal } from '../../services/auth/principal';
import type { Logger } from '../../services/core/logger';
import { rateLimited, type BerthError } from '../../services/core/errors';
import type { RateDecision, RateLimits } from '../../services/ratelimit/rate-limiter';

/** What the middleware needs of the limiter (RedisRateLimiter in services/ratelimit/). */
export interface RateCounter {
  readonly limits: RateLimits;
  hit(client: string): Promise<RateDecision>;
}

/** How long one "limiter is away" warning stands for all requests after it: one line, not one per request. */
const WARN_EVERY_MS = 60_000;

/**
 * The seed's rate limiting: `X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch seconds) on every answer,
 * and 429 `RATE_LIMITED` with `Retry-After` past the limit, rendered by the surface's own error format
 * (`renderSchedulerError` for the scheduler API). Counted per client: the token's id when the request carries
 * a valid token, else the address (see `tokenOrAddress`).
 *
 * When Redis does not answer, requests pass without headers and one warning is logged: the limiter guards
 * against abuse, it is not what keeps the API correct (tokens and validation still apply), and turning a
 * Redis outage into a whole-API outage (every request 503) would be worse than a minute without limits.
 */
export function rateLimit(options: {
  limiter: RateCounter;
  clientKey: (req: Request) => Promise<string>;
  render: (res: Response, error: BerthError) => void;
  logger: Logger;
}): RequestHandler {
  let warnedAt = -Infinity;
  return async (req: Request, res: Response, next: NextFunction) => {
    // CORS preflights carry no credentials and do no work: counting them would halve a browser's allowance.
    if (options.limiter.limits.perMinute === 0 || req.method === 'OPTIONS') return next();
    let decision: RateDecision;
    try {
      decision = await options.limiter.hit(await options.clientKey(req));
    } catch (err) {
      if (Date.now() - warnedAt > WARN_EVERY_MS) {
        warnedAt = Date.now();
        options.logger.warn({ err: (err as Error).message }, 'rate limiter unavailable (Redis): requests pass unlimited until it is back');
      }
      return next();
    }
    res.setHeader('X-RateLimit-Limit', decision.limit);
    res.setHeader('X-RateLimit-Remaining', decision.remaining);
    res.setHeader('X-RateLimit-Reset', decision.resetAt);
    if (decision.allowed) return next();
    res.setHeader('Retry-After', decision.retryAfter);
    options.render(res, rateLimited(`Rate limit exceeded: ${decision.limit} requests per minute, ${options.limiter.limits.burst} per second; retry in ${decision.retryAfter} s`, decision.retryAfter));
  };
}

/**
 * The client a request counts against: `token:<id>` when its bearer token (header, or `?token=` as the
 * WebSocket route takes it) is valid, else `ip:<address>`. A token is looked up rather than its secret hashed
 * as the key: an invalid secret made up per request would otherwise get a fresh allowance each time. The cost
 * is one indexed read per request, besides the surface's own.
 */
export function tokenOrAddress(authenticate: (secret: string) => Promise<Pick<Principal, 'tokenId'>>): (req: Request) => Promise<string> {
  return async (req) => {
    const secret = bearerSecret(req);
    if (secret) {
      try {
        return `token:${(await authenticate(secret)).tokenId}`;
      } catch {
        // Not a valid token: the request counts against its address, and the surface answers 401.
      }
    }
    return `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
  };
}

/** The bearer secret from `Authorization: Bearer …`, else from `?token=` (browsers cannot set headers on a WebSocket). */
export function bearerSecret(req: Pick<Request, 'headers' | 'query'>): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const query = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof query === 'string' && query !== '' ? query : undefined;
}
