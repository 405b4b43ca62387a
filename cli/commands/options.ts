import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../client/errors';

/** The flags every client command takes. */
export interface CommonOptions {
  profile?: string;
  json?: boolean;
}

/** Adds --profile and --json to a client command. */
export function common(command: Command): Command {
  return jsonFlag(command.option('--profile <name>', 'the saved login to use (default: $BERTH_PROFILE, else "default")'));
}

/** Adds --json: the API's JSON on stdout for scripts. */
export function jsonFlag(command: Command): Command {
  return command.option('--json', "print the API's JSON instead of text for people");
}

export interface PageOptions {
  page?: number;
  perPage?: number;
}

/** Adds --page and --per-page to a list command. */
export function paged(command: Command, items: string): Command {
  return command.option('--page <n>', 'page number (default 1)', integer(1)).option('--per-page <n>', `${items} per page (default 25, at most 1000)`, integer(1));
}

/** Adds --wait to a command that starts a task. */
export function waitable(command: Command): Command {
  return command.option('-w, --wait', "wait for the task to end, showing its progress; the task's outcome decides the exit code");
}

/** Collects a repeatable flag's values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `256M`, `1G`, `512MiB`, `1.5G` or bytes → bytes (K, M, G, T are powers of 1024). */
export function parseMemory(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError('Use bytes or a size such as 256M, 512MiB or 1G.');
  const power = ['', 'k', 'm', 'g', 't'].indexOf(match[2].toLowerCase());
  const result = Math.round(Number(match[1]) * 1024 ** power);
  if (!Number.isSafeInteger(result)) throw new InvalidArgumentError('The size is too large.');
  return result;
}

/** A whole number of at least `min`. */
export function integer(min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`Use a whole number of at least ${min}.`);
    return n;
  };
}

/** A task id as typed on the command line. */
export function taskId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > 2147483647) throw new InvalidArgumentError('A task id is a positive whole number.');
  return n;
}

/** `--env K=V` flags → `{K: V}`. */
export function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--env needs NAME=VALUE, got "${pair}"`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/**
 * A time as typed: a duration (`30d`, `12h`, `90m`) counted from now, forwards (`ahead`, for expiries) or
 * backwards (for "since"), or a date or ISO time. Returns an ISO time.
 */
export function pointInTime(direction: 'ahead' | 'ago') {
  return (value: string): string => {
    const relative = /^(\d+)\s*([dhm])$/i.exec(value.trim());
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 };
    const offset = relative ? Number(relative[1]) * unit[relative[2].toLowerCase() as keyof typeof unit] : 0;
    const date = relative ? new Date(Date.now() + (direction === 'ahead' ? offset : -offset)) : new Date(value);
    if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('Use a duration such as 30d or 12h, or a date such as 2027-12-31.');
    return date.toISOString();
  };
}

/** A duration as typed, in seconds: `7d`, `12h`, `90m`, `30s` or plain seconds; with `forever`, also `forever` (-1). */
export function seconds(options: { forever?: boolean } = {}) {
  return (value: string): number => {
    const text = value.trim().toLowerCase();
    if (options.forever && text === 'forever') return -1;
    const match = /^(\d+)\s*([dhms]?)$/.exec(text);
    if (!match) throw new InvalidArgumentError(`Use a duration such as 7d, 12h, 90m or 3600${options.forever ? ', or forever' : ''}.`);
    const n = Number(match[1]) * { d: 86_400, h: 3_600, m: 60, s: 1, '': 1 }[match[2] as 'd' | 'h' | 'm' | 's' | ''];
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('The duration is too long.');
    return n;
  };
}
