/**
 * When the daily retention cleanup runs: CLEANUP_AT in the box's own time zone, as Cloudron runs its cleanup
 * in the box's time zone. Pure functions of instants and a zone, so the schedule is testable with any clock.
 */
export const CLEANUP_AT = '03:30';

/** The wall-clock date (`2026-12-01`) and time (`03:30`) of an instant in a time zone. */
export function wallClock(at: Date, timeZone: string): { date: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/**
 * Due once per local day: it is past CLEANUP_AT there, and the last cleanup (if any) was before today's
 * CLEANUP_AT, local time.
 */
export function cleanupDue(now: Date, lastCleanup: Date | null, timeZone: string): boolean {
  const today = wallClock(now, timeZone);
  if (today.time < CLEANUP_AT) return false;
  if (!lastCleanup) return true;
  const last = wallClock(lastCleanup, timeZone);
  return last.date < today.date || (last.date === today.date && last.time < CLEANUP_AT);
}
