import type { SettingsRepo } from '../settings/settings-repo';
import { DEFAULT_TIME_ZONE, TIME_ZONE_SETTING } from '../settings/settings-service';
import type { StoredJob } from './job-repo';
import { parseSchedule, type Schedule } from './schedule';

/** The schedule a job runs on: an override set through the API wins over its source's. */
export function effectiveSchedule(job: Pick<StoredJob, 'scheduleOverride' | 'spec'>): string {
  return job.scheduleOverride ?? job.spec.schedule;
}

const ZONE_CACHE_MS = 5000;
/** Parsed schedules kept (a job's text rarely changes; a tick of many jobs parses each distinct text once). */
const SCHEDULE_CACHE_MAX = 10_000;

/**
 * When a job fires, in its tenant's time zone (a `CRON_TZ=` prefix wins). The zone is cached for a few seconds: a
 * tenant's change of time zone reaches its jobs' next fires within that.
 */
export class JobTimes {
  /** Zones read in the last few seconds: a tick that fires many of a tenant's jobs reads the zone once. */
  private readonly zones = new Map<string, { zone: string; until: number }>();
  /**
   * Schedules by their text: parsing (croner's pattern, and the check that a cron fires at all) cost as much as
   * the rest of a fire. Schedules are immutable, so one serves every job with that text.
   */
  private readonly schedules = new Map<string, Schedule | undefined>();

  constructor(private readonly deps: { settings: SettingsRepo }) {}

  /** The first fire strictly after `after`, as epoch ms; null when the schedule cannot be read (never fires). */
  async nextRun(job: Pick<StoredJob, 'instanceId' | 'scheduleOverride' | 'spec'>, after: Date): Promise<number | null> {
    const schedule = this.parse(job);
    if (!schedule) return null;
    return schedule.next(after, await this.timeZone(job.instanceId)).getTime();
  }

  async timeZone(instanceId: string): Promise<string> {
    const cached = this.zones.get(instanceId);
    if (cached && cached.until > Date.now()) return cached.zone;
    const zone = (await this.deps.settings.get<string>(instanceId, TIME_ZONE_SETTING)) ?? DEFAULT_TIME_ZONE;
    this.zones.set(instanceId, { zone, until: Date.now() + ZONE_CACHE_MS });
    return zone;
  }

  private parse(job: Pick<StoredJob, 'scheduleOverride' | 'spec'>): Schedule | undefined {
    const text = effectiveSchedule(job);
    if (this.schedules.has(text)) return this.schedules.get(text);
    let schedule: Schedule | undefined;
    try {
      schedule = parseSchedule(text);
    } catch {
      // Stored jobs were checked when they were written; one that no longer parses (an older grammar) is idle.
      schedule = undefined;
    }
    if (this.schedules.size >= SCHEDULE_CACHE_MAX) this.schedules.clear();
    this.schedules.set(text, schedule);
    return schedule;
  }
}
