import { InvalidArgumentError, type Command } from 'commander';
import type { AdminSessionOptions } from '../client/admin-session';
import { jsonFlag, parseMemory } from './options';

/** The flags every admin API command takes. */
export interface AdminOptions extends AdminSessionOptions {
  json?: boolean;
}

/** Adds --admin-url, --passphrase-stdin and --json to an admin API command. */
export function adminCommon(command: Command): Command {
  return jsonFlag(
    command
      .option('--admin-url <url>', 'the admin API (default: $BERTH_ADMIN_URL, else http://127.0.0.1:6060)')
      .option('--passphrase-stdin', 'read the admin passphrase from stdin (default: $BERTH_ADMIN_PASSPHRASE, else asked at a terminal)'),
  );
}

export const DOMAIN_ARG = ['<domain>', "the instance's domain, e.g. acme.example"] as const;

/** A quota as typed: a whole number (apps) or a size (memory, disk), or `none` for no limit. */
export function quota(kind: 'count' | 'size') {
  // `none` stays a word: commander turns a parser's null into "".
  return (value: string): number | 'none' => {
    if (value.trim().toLowerCase() === 'none') return 'none';
    if (kind === 'size') return parseMemory(value);
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('Use a whole number, or none for no limit.');
    return n;
  };
}

/** Quota flags, on create and update. */
export function quotaFlags(command: Command): Command {
  return command
    .option('--quota-apps <n>', 'at most this many apps (none: no limit)', quota('count'))
    .option('--quota-memory <bytes>', "at most this sum of the apps' memory limits: bytes, or 512M, 2G… (none: no limit)", quota('size'))
    .option('--quota-disk <bytes>', 'disk quota, stored but not enforced yet: bytes, or 10G… (none: no limit)', quota('size'));
}

export interface QuotaOptions {
  quotaApps?: number | 'none';
  quotaMemory?: number | 'none';
  quotaDisk?: number | 'none';
}

export type QuotaChanges = { apps?: number | null; memory?: number | null; disk?: number | null };

/** The quota flags given (null for `none`); undefined when none was given. */
export function quotasFrom(options: QuotaOptions): QuotaChanges | undefined {
  const given = { apps: options.quotaApps, memory: options.quotaMemory, disk: options.quotaDisk };
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined).map(([k, v]) => [k, v === 'none' ? null : v]));
  return Object.keys(set).length ? set : undefined;
}

/**
 * The API's `quotas`: `base` (the instance's current ones, on update) with the changes applied. A quota
 * that is absent means no limit, so `none` leaves it out rather than sending null.
 */
export function applyQuotas(base: QuotaChanges, changes: QuotaChanges): { apps?: number; memory?: number; disk?: number } {
  return Object.fromEntries(Object.entries({ ...base, ...changes }).filter(([, v]) => v !== null && v !== undefined));
}

/** `--ttl`: seconds, or 30m, 12h, 1d; the admin API takes 60 seconds to 24 hours. */
export function ttl(value: string): number {
  const match = /^(\d+)\s*([smhd]?)$/i.exec(value.trim());
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
  const seconds = match ? Number(match[1]) * unit[match[2].toLowerCase() as keyof typeof unit] : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 60 || seconds > 86400) throw new InvalidArgumentError('Use 60 seconds to 24 hours: 600, 30m, 12h or 1d.');
  return seconds;
}
