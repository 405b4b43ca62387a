import type { Clock } from '../core/clock';
import { rateLimited } from '../core/errors';

export interface LoginThrottleLimits {
  /** Failed attempts allowed per username (within a tenant) in one window. */
  perUsername: number;
  /** Failed attempts allowed per client address in one window. */
  perAddress: number;
  windowSecs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginThrottleLimits = { perUsername: 10, perAddress: 30, windowSecs: 15 * 60 };

/**
 * Counts failed logins in fixed windows, per username and per client address, in this process's memory.
 * Good enough to stop a brute force against one API process; several API processes each count on their own.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: LoginThrottleLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /**
   * Throws 429 when any account key or the address is over its limit. Account keys name the same account in
   * every way it can be typed (the login string and, once known, the user id), so switching from username to
   * email buys no extra guesses.
   */
  check(accountKeys: string[], address: string): void {
    const now = this.clock().getTime();
    const limits = [...accountKeys.map((k) => [`u:${k}`, this.limits.perUsername] as const), [`a:${address}`, this.limits.perAddress] as const];
    for (const [key, limit] of limits) {
      const entry = this.failures.get(key);
      if (entry && entry.resetAt > now && entry.count >= limit) {
        throw rateLimited('Too many failed login attempts, try again later', Math.ceil((entry.resetAt - now) / 1000));
      }
    }
  }

  recordFailure(accountKeys: string[], address: string): void {
    const now = this.clock().getTime();
    for (const key of [...accountKeys.map((k) => `u:${k}`), `a:${address}`]) {
      const entry = this.failures.get(key);
      if (!entry || entry.resetAt <= now) this.failures.set(key, { count: 1, resetAt: now + this.limits.windowSecs * 1000 });
      else entry.count += 1;
    }
    if (this.failures.size > 100_000) this.prune(now);
  }

  recordSuccess(accountKeys: string[]): void {
    for (const key of accountKeys) this.failures.delete(`u:${key}`);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.failures) if (entry.resetAt <= now) this.failures.delete(key);
  }
}
