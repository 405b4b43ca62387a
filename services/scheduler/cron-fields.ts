/**
 * Validation of cron fields with robfig/cron's grammar (what Ofelia accepts), turning each into the plain
 * subset of syntax croner reads the same way. croner does the date arithmetic; this file only decides what
 * is valid and what it means, so that Berth accepts exactly Ofelia's schedules and can say where one fails.
 */
import type { CronFieldRef } from './schedule-error';

export interface FieldToken {
  text: string;
  /** Offset of the field's first character in the whole schedule string. */
  offset: number;
}

export class CronFieldError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly cronField: CronFieldRef,
  ) {
    super(message);
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const WEEKDAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

// robfig's bounds: day-of-week is 0-6 (no 7 for Sunday), and there are no L, W or # extensions.
const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTHS };
const DAY_OF_WEEK: FieldSpec = { name: 'day-of-week', min: 0, max: 6, names: WEEKDAYS };

export interface CronTranslation {
  /** Six fields, seconds first, in syntax croner and robfig read alike. */
  pattern: string;
  /** robfig's "star" flags: when either day field is unrestricted the two combine with AND, otherwise OR. */
  domStar: boolean;
  dowStar: boolean;
}

/** Takes the 5 or 6 whitespace-separated fields (the caller has counted them). */
export function translateCronFields(fields: FieldToken[]): CronTranslation {
  const withSeconds = fields.length === 6;
  const specs = withSeconds
    ? [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK]
    : [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];
  const parsed = fields.map((f, index) => translateField(f, specs[index], index));
  // A 5-field schedule fires at second 0, as in robfig's standard parser.
  const six = withSeconds ? parsed : [{ text: '0', star: false }, ...parsed];
  return { pattern: six.map((p) => p.text).join(' '), domStar: six[3].star, dowStar: six[5].star };
}

function translateField(field: FieldToken, spec: FieldSpec, index: number): { text: string; star: boolean } {
  const ref: CronFieldRef = { index, name: spec.name };
  const parts: string[] = [];
  let star = false;
  let offset = field.offset;
  for (const item of field.text.split(',')) {
    const r = translateRange(item, offset, spec, ref);
    if (r.star) star = true;
    parts.push(r.text);
    offset += item.length + 1;
  }
  // A star anywhere in the list covers the whole range, so the field is just `*` (which is also how croner
  // recognises an unrestricted day field).
  return { text: star ? '*' : parts.join(','), star };
}

/** One list item: `*`, `?`, `N`, `N-M`, any of those with `/step`. Mirrors robfig's getRange. */
function translateRange(item: string, offset: number, spec: FieldSpec, ref: CronFieldRef): { text: string; star: boolean } {
  const fail = (message: string, at: number): never => {
    throw new CronFieldError(message, at, ref);
  };
  if (item === '') fail('empty value in list', offset);
  const slash = item.indexOf('/');
  if (slash >= 0 && item.indexOf('/', slash + 1) >= 0) fail('too many slashes', offset + item.indexOf('/', slash + 1));
  const rangeText = slash >= 0 ? item.slice(0, slash) : item;
  const stepText = slash >= 0 ? item.slice(slash + 1) : undefined;

  let start: number;
  let end: number;
  let star = false;
  const hyphen = rangeText.indexOf('-');
  if (rangeText === '*' || rangeText === '?') {
    start = spec.min;
    end = spec.max;
    star = true;
  } else {
    if (hyphen >= 0 && rangeText.indexOf('-', hyphen + 1) >= 0) {
      fail('too many hyphens', offset + rangeText.indexOf('-', hyphen + 1));
    }
    const lowText = hyphen >= 0 ? rangeText.slice(0, hyphen) : rangeText;
    start = parseValue(lowText, offset, spec, fail);
    end = hyphen >= 0 ? parseValue(rangeText.slice(hyphen + 1), offset + hyphen + 1, spec, fail) : start;
  }

  let step = 1;
  if (stepText !== undefined) {
    const stepOffset = offset + slash + 1;
    if (!/^\d+$/.test(stepText)) fail(`step "${stepText}" is not a positive whole number`, stepOffset);
    step = Number(stepText);
    if (step === 0) fail('step must be at least 1', stepOffset);
    // robfig: `N/step` means from N to the end of the range.
    if (hyphen < 0 && !star) end = spec.max;
    // robfig: a star with a step is no longer a star (it restricts the field), except the no-op `/1`.
    if (step > 1) star = false;
  }

  if (start < spec.min) fail(`${start} is below the minimum ${spec.min}`, offset);
  if (end > spec.max) fail(`${end} is above the maximum ${spec.max}`, offset);
  if (start > end) fail(`range start ${start} is after its end ${end}`, offset);

  if (star) return { text: '*', star: true };
  if (step === 1) return { text: start === end ? `${start}` : `${start}-${end}`, star: false };
  // croner refuses a step longer than the field; robfig then fires only at the start, so say just that.
  if (step > spec.max - spec.min + 1) return { text: `${start}`, star: false };
  return { text: `${start}-${end}/${step}`, star: false };
}

function parseValue(text: string, offset: number, spec: FieldSpec, fail: (m: string, at: number) => never): number {
  if (/^\d+$/.test(text)) return Number(text);
  const named = spec.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (text === '') return fail('missing number', offset);
  const hint = spec.names ? ` (a number ${spec.min}-${spec.max} or a three-letter name)` : ` (a number ${spec.min}-${spec.max})`;
  return fail(`"${text}" is not a valid ${spec.name}${hint}`, offset);
}
