/**
 * Go's time.ParseDuration, because `@every` takes a Go duration and Ofelia users paste theirs unchanged:
 * `1h30m`, `90s`, `1.5h`, `500ms`. Go has no `d` unit (`@every 1d` is the classic Ofelia mistake), so neither
 * do we. Errors carry the offset of the character that failed, relative to the duration text.
 */

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's Duration is an int64 of nanoseconds; anything longer does not parse there either. */
const MAX_NANOS = (1n << 63n) - 1n;

export class DurationError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Returns the duration in nanoseconds (bigint: Go's range does not fit a double exactly). */
export function parseGoDuration(text: string): bigint {
  let i = 0;
  let negative = false;
  if (text[i] === '-' || text[i] === '+') {
    negative = text[i] === '-';
    i++;
  }
  if (text.slice(i) === '0') return 0n;
  if (i === text.length) throw new DurationError('empty duration', i);
  let total = 0n;
  while (i < text.length) {
    const start = i;
    while (i < text.length && isDigit(text[i])) i++;
    const whole = text.slice(start, i);
    let fraction = '';
    if (text[i] === '.') {
      i++;
      const fracStart = i;
      while (i < text.length && isDigit(text[i])) i++;
      fraction = text.slice(fracStart, i);
    }
    if (whole === '' && fraction === '') throw new DurationError(`expected a number, found "${text[start] ?? ''}"`, start);
    const unitStart = i;
    while (i < text.length && !isDigit(text[i]) && text[i] !== '.') i++;
    const unit = text.slice(unitStart, i);
    if (unit === '') throw new DurationError('missing unit (one of ns, us, ms, s, m, h)', unitStart);
    const scale = UNIT_NANOS[unit];
    if (scale === undefined) {
      throw new DurationError(`unknown unit "${unit}" (Go durations use ns, us, ms, s, m, h; there is no d)`, unitStart);
    }
    // Exact integer arithmetic, truncating the fraction at nanoseconds as Go does.
    let nanos = BigInt(whole || '0') * scale;
    if (fraction !== '') nanos += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    total += nanos;
    if (total > MAX_NANOS) throw new DurationError('duration out of range', start);
  }
  return negative ? -total : total;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
