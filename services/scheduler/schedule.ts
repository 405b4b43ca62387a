/**
 * Ofelia schedule strings (robfig/cron's full parser): 5-field cron, 6-field cron with leading seconds,
 * descriptors (`@hourly` … `@yearly`), `@every <Go duration>`, and robfig's optional `CRON_TZ=`/`TZ=` prefix.
 *
 * Cron arithmetic (time zones, DST, stepping backwards for missed runs) is croner's; this module owns the
 * Ofelia grammar and its error positions. See cron-fields.ts for why the fields are re-validated here.
 */
import { Cron } from 'croner';

import { BerthError } from '../core/errors';
import { translateCronFields, CronFieldError, type FieldToken } from './cron-fields';
import { parseGoDuration, DurationError } from './go-duration';
import { invalidSchedule } from './schedule-error';

export interface Schedule {
  /** The schedule as written (trimmed). */
  readonly text: string;
  readonly kind: 'cron' | 'every';
  /** For `@every`: the interval in whole seconds. */
  readonly intervalSeconds?: number;
  /** A zone from a `CRON_TZ=` prefix; it wins over the tenant's zone. */
  readonly timeZone?: string;
  /** The first run strictly after `after`. */
  next(after: Date, timeZone: string): Date;
  /** The last run strictly before `before`: the lastRun, and what a restart compares with to find a missed run. */
  previous(before: Date, timeZone: string): Date;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const NANOS_PER_SECOND = 1_000_000_000n;

/**
 * Parses and validates; throws BerthError INVALID_SCHEDULE (400) with `{ field, position, cronField?,
 * cronFieldIndex? }` in its details. `field` names the input the text came from (`schedule` in the API,
 * or e.g. `job-exec "backup".schedule` from an INI file).
 */
export function parseSchedule(text: string, field = 'schedule'): Schedule {
  if (typeof text !== 'string') throw invalidSchedule(field, String(text), 0, 'must be a string');
  const lead = text.length - text.trimStart().length;
  let body = text.trim();
  let offset = lead;
  if (body === '') throw invalidSchedule(field, text, 0, 'is empty');

  let zone: string | undefined;
  const tz = /^(CRON_TZ|TZ)=(\S*)/.exec(body);
  if (tz) {
    const zoneOffset = offset + tz[1].length + 1;
    if (tz[2] === '' || !isTimeZone(tz[2])) throw invalidSchedule(field, text, zoneOffset, `unknown time zone "${tz[2]}"`);
    zone = tz[2];
    const rest = body.slice(tz[0].length);
    offset += tz[0].length + (rest.length - rest.trimStart().length);
    body = rest.trim();
    if (body === '') throw invalidSchedule(field, text, offset, 'has a time zone but no schedule');
  }

  if (body.startsWith('@')) return parseDescriptor(body, offset, text, field, zone);
  return cronSchedule(body, offset, text, field, zone, body);
}

function parseDescriptor(body: string, offset: number, text: string, field: string, zone?: string): Schedule {
  const word = /^\S+/.exec(body)![0];
  const lower = word.toLowerCase();
  if (lower === '@every') {
    const rest = body.slice(word.length);
    const durationOffset = offset + word.length + (rest.length - rest.trimStart().length);
    const duration = rest.trim();
    if (duration === '') throw invalidSchedule(field, text, durationOffset, '@every needs a duration such as 10s or 1h30m');
    let nanos: bigint;
    try {
      nanos = parseGoDuration(duration);
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      throw invalidSchedule(field, text, durationOffset + err.offset, `bad @every duration: ${err.message}`);
    }
    // robfig silently turns anything under a second into 1s; refusing says what will really happen instead.
    if (nanos < NANOS_PER_SECOND) throw invalidSchedule(field, text, durationOffset, '@every must be at least 1s');
    // Sub-second remainders are dropped, as robfig does (`@every 1.5s` runs every second).
    return new EverySchedule(body, Number(nanos / NANOS_PER_SECOND), zone);
  }
  const expansion = DESCRIPTORS[lower];
  if (expansion === undefined) {
    const known = [...Object.keys(DESCRIPTORS), '@every <duration>'].join(', ');
    throw invalidSchedule(field, text, offset, `unknown descriptor "${word}" (known: ${known})`);
  }
  if (body.length > word.length) {
    throw invalidSchedule(field, text, offset + word.length + 1, `${word} takes no arguments`);
  }
  return cronSchedule(expansion, offset, text, field, zone, body);
}

function cronSchedule(expr: string, offset: number, text: string, field: string, zone: string | undefined, shown: string): Schedule {
  const fields: FieldToken[] = [];
  for (const m of expr.matchAll(/\S+/g)) fields.push({ text: m[0], offset: offset + m.index });
  if (fields.length !== 5 && fields.length !== 6) {
    const at = fields.length > 6 ? fields[6].offset : offset + expr.length;
    throw invalidSchedule(
      field,
      text,
      at,
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found ${fields.length}`,
    );
  }
  let translation;
  try {
    translation = translateCronFields(fields);
  } catch (err) {
    if (!(err instanceof CronFieldError)) throw err;
    throw invalidSchedule(field, text, err.offset, err.message, err.cronField);
  }
  const schedule = new CronSchedule(shown, translation.pattern, translation.domStar || translation.dowStar, zone);
  // `0 0 30 2 *` is valid field by field but never fires; croner would return null forever. The day fields
  // are what make it impossible, so point at the day-of-month.
  if (!schedule.firesAtAll()) {
    const dom = fields[fields.length === 6 ? 3 : 2];
    throw invalidSchedule(field, text, dom.offset, 'this day never occurs in the given months', {
      index: fields.length === 6 ? 3 : 2,
      name: 'day-of-month',
    });
  }
  return schedule;
}

class CronSchedule implements Schedule {
  readonly kind = 'cron' as const;
  private readonly byZone = new Map<string, Cron>();

  constructor(
    readonly text: string,
    private readonly pattern: string,
    /** robfig: when either day field is `*` or `?` both must match, otherwise either may. */
    private readonly domAndDow: boolean,
    readonly timeZone?: string,
  ) {}

  next(after: Date, timeZone: string): Date {
    return this.found(this.cron(timeZone).nextRun(checkDate(after, 'after')), 'next');
  }

  previous(before: Date, timeZone: string): Date {
    const date = checkDate(before, 'before');
    // croner counts a run earlier in the same second as before it; a run at exactly `before` is not.
    const [run] = this.cron(timeZone).previousRuns(1, date);
    return this.found(run && run.getTime() < date.getTime() ? run : this.cron(timeZone).previousRuns(2, date)[1], 'previous');
  }

  firesAtAll(): boolean {
    return this.cron('UTC').nextRun(new Date(Date.UTC(2000, 0, 1))) !== null;
  }

  private found(run: Date | null | undefined, which: string): Date {
    if (!run) throw new BerthError('INTERNAL_ERROR', 500, `Schedule "${this.text}" has no ${which} run`);
    return run;
  }

  private cron(tenantZone: string): Cron {
    const zone = this.timeZone ?? checkTimeZone(tenantZone);
    let cron = this.byZone.get(zone);
    if (!cron) {
      cron = new Cron(this.pattern, {
        timezone: zone,
        mode: '6-part',
        domAndDow: this.domAndDow,
        // A job at a listed time (`30 2 * * *`, `0 2,14 * * *`) runs once on DST days: after the gap when
        // spring skips it, at the first occurrence when autumn repeats it. Jobs with `*` or a step in the time
        // fields follow the wall clock and skip the gap / run twice in the overlap, as Vixie cron does.
        // (robfig skips fixed-time jobs in the gap; a daily backup silently lost once a year is worse.)
        fixedTimeRule: 'no-wildcard',
      });
      this.byZone.set(zone, cron);
    }
    return cron;
  }
}

/**
 * `@every` is elapsed time, so time zones and DST do not touch it. robfig counts from when the scheduler
 * started; Berth runs many processes that restart, so runs are anchored to the Unix epoch instead: every
 * process agrees on the run times, and a restart neither shifts them nor replays one.
 */
class EverySchedule implements Schedule {
  readonly kind = 'every' as const;

  constructor(
    readonly text: string,
    readonly intervalSeconds: number,
    readonly timeZone?: string,
  ) {}

  next(after: Date): Date {
    const ms = this.intervalSeconds * 1000;
    return new Date((Math.floor(checkDate(after, 'after').getTime() / ms) + 1) * ms);
  }

  previous(before: Date): Date {
    const ms = this.intervalSeconds * 1000;
    return new Date((Math.ceil(checkDate(before, 'before').getTime() / ms) - 1) * ms);
  }
}

function checkDate(date: Date, name: string): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new BerthError('VALIDATION_ERROR', 400, `${name} must be a valid date`, { field: name });
  }
  return date;
}

const knownZones = new Map<string, boolean>();

function isTimeZone(zone: string): boolean {
  let ok = knownZones.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      ok = true;
    } catch {
      ok = false;
    }
    knownZones.set(zone, ok);
  }
  return ok;
}

function checkTimeZone(zone: string): string {
  if (typeof zone !== 'string' || !isTimeZone(zone)) {
    throw new BerthError('VALIDATION_ERROR', 400, `Unknown time zone "${zone}"`, { field: 'timeZone' });
  }
  return zone;
}
