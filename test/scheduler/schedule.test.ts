import { BerthError } from '../../services/core/errors';
import { parseSchedule } from '../../services/scheduler/schedule';

const BERLIN = 'Europe/Berlin';
const UTC = 'UTC';

/** The next n runs after `from`, as ISO strings. */
function runs(text: string, from: string, n: number, zone = UTC): string[] {
  const schedule = parseSchedule(text);
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < n; i++) {
    at = schedule.next(at, zone);
    out.push(at.toISOString());
  }
  return out;
}

function errorOf(text: string, field?: string): BerthError {
  try {
    parseSchedule(text, field);
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error(`"${text}" parsed`);
}

describe('cron forms', () => {
  it('5-field cron fires at second 0', () => {
    expect(runs('*/15 * * * *', '2025-01-01T00:07:30Z', 3)).toEqual([
      '2025-01-01T00:15:00.000Z', '2025-01-01T00:30:00.000Z', '2025-01-01T00:45:00.000Z',
    ]);
  });

  it('6-field cron takes seconds first', () => {
    expect(runs('*/20 * * * * *', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-01T00:00:20.000Z', '2025-01-01T00:00:40.000Z', '2025-01-01T00:01:00.000Z',
    ]);
    // The classic Ofelia mistake reads as every second of minutes 0,15,30,45, as robfig reads it.
    expect(runs('* */15 * * * *', '2025-01-01T00:00:58Z', 3)).toEqual([
      '2025-01-01T00:00:59.000Z', '2025-01-01T00:15:00.000Z', '2025-01-01T00:15:01.000Z',
    ]);
  });

  it('reads names, ranges, lists, steps and N/step like robfig', () => {
    // 2025-01-01 is a Wednesday.
    expect(runs('0 9 * JAN-mar mon-FRI', '2025-01-03T10:00:00Z', 2)).toEqual([
      '2025-01-06T09:00:00.000Z', '2025-01-07T09:00:00.000Z',
    ]);
    expect(runs('10-20/5,50 0 1 1 *', '2025-01-01T00:00:00Z', 4)).toEqual([
      '2025-01-01T00:10:00.000Z', '2025-01-01T00:15:00.000Z', '2025-01-01T00:20:00.000Z', '2025-01-01T00:50:00.000Z',
    ]);
    expect(runs('45/5 0 1 1 *', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-01T00:45:00.000Z', '2025-01-01T00:50:00.000Z', '2025-01-01T00:55:00.000Z',
    ]);
    // A step longer than the field fires only at its start.
    expect(runs('*/90 0 1 1 *', '2024-12-31T00:00:00Z', 1)).toEqual(['2025-01-01T00:00:00.000Z']);
  });

  it('combines day-of-month and day-of-week with OR when both are restricted, AND when one is * or ?', () => {
    expect(runs('0 0 1 * MON', '2025-01-01T01:00:00Z', 2)).toEqual([
      '2025-01-06T00:00:00.000Z', '2025-01-13T00:00:00.000Z',
    ]);
    expect(runs('0 0 */2 * MON', '2025-01-01T01:00:00Z', 3)).toEqual([
      '2025-01-03T00:00:00.000Z', '2025-01-05T00:00:00.000Z', '2025-01-06T00:00:00.000Z',
    ]);
    expect(runs('0 0 ? * MON', '2025-01-01T01:00:00Z', 1)).toEqual(['2025-01-06T00:00:00.000Z']);
    expect(runs('0 0 15 * ?', '2025-01-01T01:00:00Z', 1)).toEqual(['2025-01-15T00:00:00.000Z']);
  });
});

describe('descriptors', () => {
  const from = '2025-05-14T10:20:30Z'; // a Wednesday
  it.each([
    ['@hourly', '2025-05-14T11:00:00.000Z'],
    ['@daily', '2025-05-15T00:00:00.000Z'],
    ['@midnight', '2025-05-15T00:00:00.000Z'],
    ['@weekly', '2025-05-18T00:00:00.000Z'],
    ['@monthly', '2025-06-01T00:00:00.000Z'],
    ['@yearly', '2026-01-01T00:00:00.000Z'],
    ['@annually', '2026-01-01T00:00:00.000Z'],
    ['  @Daily ', '2025-05-15T00:00:00.000Z'],
  ])('%s', (text, next) => {
    expect(runs(text, from, 1)).toEqual([next]);
  });

  it('evaluates descriptors in the tenant zone', () => {
    expect(runs('@daily', from, 1, BERLIN)).toEqual(['2025-05-14T22:00:00.000Z']);
  });
});

describe('@every', () => {
  it('runs on multiples of the interval since the epoch, whatever the zone', () => {
    const s = parseSchedule('@every 1h30m');
    expect(s.kind).toBe('every');
    expect(s.intervalSeconds).toBe(5400);
    expect(runs('@every 1h30m', '2025-01-01T00:10:00Z', 2, BERLIN)).toEqual([
      '2025-01-01T01:30:00.000Z', '2025-01-01T03:00:00.000Z',
    ]);
    expect(runs('@every 10s', '2025-01-01T00:00:05.500Z', 2)).toEqual([
      '2025-01-01T00:00:10.000Z', '2025-01-01T00:00:20.000Z',
    ]);
  });

  it('takes Go durations: fractions, ms/us/ns, and drops sub-second remainders as robfig does', () => {
    expect(parseSchedule('@every 1.5h').intervalSeconds).toBe(5400);
    expect(parseSchedule('@every 1500ms').intervalSeconds).toBe(1);
    expect(parseSchedule('@every 2m0.5s').intervalSeconds).toBe(120);
    expect(parseSchedule('@every 1000000000ns').intervalSeconds).toBe(1);
    expect(parseSchedule('@every 1000000µs').intervalSeconds).toBe(1);
  });

  it('previous is strictly before', () => {
    const s = parseSchedule('@every 10s');
    expect(s.previous(new Date('2025-01-01T00:00:10Z'), UTC).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(s.previous(new Date('2025-01-01T00:00:10.001Z'), UTC).toISOString()).toBe('2025-01-01T00:00:10.000Z');
  });
});

describe('previous (lastRun and missed runs)', () => {
  it('is strictly before the reference and inverse to next', () => {
    const s = parseSchedule('0 0 * * *');
    const midnight = new Date('2025-01-01T23:00:00Z'); // midnight in Berlin
    expect(s.previous(midnight, BERLIN).toISOString()).toBe('2024-12-31T23:00:00.000Z');
    expect(s.previous(new Date(midnight.getTime() + 1), BERLIN).toISOString()).toBe(midnight.toISOString());
    const last = s.previous(new Date('2025-03-05T12:00:00Z'), BERLIN);
    expect(s.next(last, BERLIN).toISOString()).toBe('2025-03-05T23:00:00.000Z');
  });

  it('handles 6-field schedules and the same second', () => {
    const s = parseSchedule('*/30 * * * * *');
    expect(s.previous(new Date('2025-01-01T00:00:30.400Z'), UTC).toISOString()).toBe('2025-01-01T00:00:30.000Z');
    expect(s.previous(new Date('2025-01-01T00:00:30Z'), UTC).toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });
});

describe('time zones', () => {
  it('evaluates cron fields in the given zone', () => {
    expect(runs('0 9 * * *', '2025-01-01T00:00:00Z', 1, BERLIN)).toEqual(['2025-01-01T08:00:00.000Z']);
    expect(runs('0 9 * * *', '2025-07-01T00:00:00Z', 1, BERLIN)).toEqual(['2025-07-01T07:00:00.000Z']);
    expect(runs('0 9 * * *', '2025-01-01T00:00:00Z', 1, 'America/New_York')).toEqual(['2025-01-01T14:00:00.000Z']);
    expect(runs('0 9 * * *', '2025-01-01T00:00:00Z', 1, 'Asia/Kolkata')).toEqual(['2025-01-01T03:30:00.000Z']);
  });

  it('a CRON_TZ= or TZ= prefix wins over the tenant zone', () => {
    const s = parseSchedule('CRON_TZ=America/New_York 0 9 * * *');
    expect(s.timeZone).toBe('America/New_York');
    expect(s.next(new Date('2025-01-01T00:00:00Z'), BERLIN).toISOString()).toBe('2025-01-01T14:00:00.000Z');
    expect(runs('TZ=Asia/Tokyo @daily', '2025-01-01T00:00:00Z', 1, BERLIN)).toEqual(['2025-01-01T15:00:00.000Z']);
  });

  it('refuses an unknown tenant zone', () => {
    expect(() => parseSchedule('@daily').next(new Date(), 'Mars/Olympus')).toThrow(/Unknown time zone/);
  });
});

describe('DST in Europe/Berlin', () => {
  // 2025-03-30: 02:00 CET jumps to 03:00 CEST. 2025-10-26: 03:00 CEST falls back to 02:00 CET.
  it('spring forward: a job at a skipped time runs once, right after the gap', () => {
    expect(runs('30 2 * * *', '2025-03-29T12:00:00Z', 3, BERLIN)).toEqual([
      '2025-03-30T01:00:00.000Z', // 03:00 CEST, the first minute after the gap
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
      '2025-04-01T00:30:00.000Z',
    ]);
    const s = parseSchedule('30 2 * * *');
    expect(s.previous(new Date('2025-03-31T00:00:00Z'), BERLIN).toISOString()).toBe('2025-03-30T01:00:00.000Z');
  });

  it('spring forward: a wall-clock interval job skips the missing hour', () => {
    expect(runs('*/30 * * * *', '2025-03-30T00:00:00Z', 3, BERLIN)).toEqual([
      '2025-03-30T00:30:00.000Z', // 01:30 CET
      '2025-03-30T01:00:00.000Z', // 03:00 CEST
      '2025-03-30T01:30:00.000Z',
    ]);
  });

  it('fall back: a job at a repeated time runs once, at the first occurrence', () => {
    expect(runs('30 2 * * *', '2025-10-25T12:00:00Z', 2, BERLIN)).toEqual([
      '2025-10-26T00:30:00.000Z', // 02:30 CEST
      '2025-10-27T01:30:00.000Z', // 02:30 CET next day; not 01:30Z on the 26th
    ]);
    expect(parseSchedule('30 2 * * *').previous(new Date('2025-10-27T00:00:00Z'), BERLIN).toISOString()).toBe(
      '2025-10-26T00:30:00.000Z',
    );
  });

  it('fall back: a wall-clock interval job runs in both repeated hours', () => {
    expect(runs('*/30 * * * *', '2025-10-25T23:45:00Z', 5, BERLIN)).toEqual([
      '2025-10-26T00:00:00.000Z', // 02:00 CEST
      '2025-10-26T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T01:00:00.000Z', // 02:00 CET
      '2025-10-26T01:30:00.000Z', // 02:30 CET
      '2025-10-26T02:00:00.000Z', // 03:00 CET
    ]);
  });

  it('@every ignores DST', () => {
    expect(runs('@every 1h', '2025-03-30T00:30:00Z', 2, BERLIN)).toEqual([
      '2025-03-30T01:00:00.000Z', '2025-03-30T02:00:00.000Z',
    ]);
  });
});

describe('invalid schedules name the field and the position', () => {
  it.each([
    // [text, position, cronField, cronFieldIndex, message fragment]
    ['61 * * * *', 0, 'minute', 0, 'above the maximum 59'],
    ['0 24 * * *', 2, 'hour', 1, 'above the maximum 23'],
    ['0 0 0 * *', 4, 'day-of-month', 2, 'below the minimum 1'],
    ['0 0 1 13 *', 6, 'month', 3, 'above the maximum 12'],
    ['0 0 * * 7', 8, 'day-of-week', 4, 'above the maximum 6'],
    ['0 0 * * MONDAY', 8, 'day-of-week', 4, 'not a valid day-of-week'],
    ['0 0 * FOO *', 6, 'month', 3, 'not a valid month'],
    ['60 * * * * *', 0, 'second', 0, 'above the maximum 59'],
    ['* 5-2 * * * *', 2, 'minute', 1, 'range start 5 is after its end 2'],
    ['1-2-3 * * * *', 3, 'minute', 0, 'too many hyphens'],
    ['*/5/2 * * * *', 3, 'minute', 0, 'too many slashes'],
    ['*/0 * * * *', 2, 'minute', 0, 'step must be at least 1'],
    ['*/x * * * *', 2, 'minute', 0, 'not a positive whole number'],
    ['0 1,,2 * * *', 4, 'hour', 1, 'empty value'],
    ['0 0 L * *', 4, 'day-of-month', 2, 'not a valid day-of-month'],
    ['0 0 30 2 *', 4, 'day-of-month', 2, 'never occurs'],
  ])('%s', (text, position, cronField, cronFieldIndex, fragment) => {
    const err = errorOf(text);
    expect(err.code).toBe('INVALID_SCHEDULE');
    expect(err.status).toBe(400);
    expect(err.details).toEqual({ field: 'schedule', position, cronField, cronFieldIndex });
    expect(err.message).toContain(fragment);
  });

  it.each([
    ['', 0, 'is empty'],
    ['   ', 0, 'is empty'],
    ['* * * *', 7, 'found 4'],
    ['* * * * * * *', 12, 'found 7'],
    ['@foo', 0, 'unknown descriptor'],
    ['@reboot', 0, 'unknown descriptor'],
    ['@daily 5', 7, 'takes no arguments'],
    ['@every', 6, 'needs a duration'],
    ['@every 1d', 8, 'unknown unit "d"'],
    ['@every 10', 9, 'missing unit'],
    ['@every 1h.x', 9, 'expected a number'],
    ['@every 500ms', 7, 'at least 1s'],
    ['@every -5s', 7, 'at least 1s'],
    ['@every 0', 7, 'at least 1s'],
    ['@every 3000000h', 7, 'out of range'],
    ['CRON_TZ=Nowhere/City * * * * *', 8, 'unknown time zone'],
    ['TZ=UTC', 6, 'no schedule'],
  ])('%j', (text, position, fragment) => {
    const err = errorOf(text);
    expect(err.code).toBe('INVALID_SCHEDULE');
    expect(err.details).toEqual({ field: 'schedule', position });
    expect(err.message).toContain(fragment);
  });

  it('names the field it was given and counts positions in the text as written', () => {
    const err = errorOf('  0 25 * * *', 'job-exec "backup".schedule');
    expect(err.details).toEqual({ field: 'job-exec "backup".schedule', position: 4, cronField: 'hour', cronFieldIndex: 1 });
    expect(err.message).toMatch(/^Invalid job-exec "backup".schedule " {2}0 25 \* \* \*": 25 is above the maximum 23 at hour field/);
  });
});
