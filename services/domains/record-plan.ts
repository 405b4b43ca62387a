/** What to send an API that keeps one row per value (Cloudflare, DigitalOcean) so a name holds exactly `wanted`. */
export interface RecordPlan<T> {
  /** Rows rewritten in place to a value still missing (cheaper than a delete and a create). */
  update: Array<{ record: T; value: string }>;
  create: string[];
  remove: T[];
}

/** Rows already holding a wanted value stay as they are; the rest are rewritten, then created or removed. */
export function planRecords<T>(existing: T[], wanted: string[], holds: (record: T, value: string) => boolean): RecordPlan<T> {
  const missing = [...new Set(wanted)];
  const spare: T[] = [];
  for (const record of existing) {
    const at = missing.findIndex((value) => holds(record, value));
    if (at >= 0) missing.splice(at, 1);
    else spare.push(record);
  }
  const update = spare.slice(0, missing.length).map((record, i) => ({ record, value: missing[i] }));
  return { update, create: missing.slice(update.length), remove: spare.slice(update.length) };
}
