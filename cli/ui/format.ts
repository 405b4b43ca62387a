/** `2026-11-24T13:48:24.477Z` or UTC milliseconds → `2026-11-24 13:48:24` (UTC). */
export function when(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

/** Bytes for people: `268435456` → `256 MiB`. 0 shows as `default`. */
export function bytes(value: number | null | undefined): string {
  if (!value) return 'default';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1 && n % 1024 === 0) {
    n /= 1024;
    unit++;
  }
  return `${n} ${units[unit]}`;
}

/** A task's state in one word: pending, running, succeeded, or its error code (failed, stopped, …). */
export function taskState(task: { active: boolean; pending: boolean; success: boolean; error?: { code: string } | null }): string {
  if (task.pending) return 'pending';
  if (task.active) return 'running';
  if (task.success) return 'succeeded';
  return task.error?.code ?? 'failed';
}
