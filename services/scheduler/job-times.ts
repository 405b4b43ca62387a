import type { SettingsRepo } from '../settings/settings-repo';
import { DEFAULT_TIME_ZONE, TIME_ZONE_SETTING } from '../settings/settings-service';
import type { StoredJob } from './job-repo';
import { parseSchedule, type Schedule } from './schedule';

/** The schedule a job runs on: an override set through the API wins over its source's. */
export function effectiveSchedule(job: Pick<StoredJob, 'scheduleOverride' | 'spec'>): string {
  return job.scheduleOverride ?? job.spec.schedule;
}

/**
 * When a job fires, in its tenant's time zone (a `CRON_TZ=` prefix wins). The zone is read per call: it changes
 * rarely, and a job's next fire is computed only when it fires or changes.
 */
export class JobTimes {
  constructor(private readonly deps: { settings: SettingsRepo }) {}

  /** The first fire strictly after `after`, as epoch ms; null when the schedule cannot be read (never fires). */
  async nextRun(job: Pick<StoredJob, 'instanceId' | 'scheduleOverride' | 'spec'>, after: Date): Promise<number | null> {
    const schedule = this.parse(job);
    if (!schedule) return null;
    return schedule.next(after, await this.timeZone(job.instanceId)).getTime();
  }

  async timeZone(instanceId: string): Promise<string> {
    return (await this.deps.settings.get<string>(instanceId, TIME_ZONE_SETTING)) ?? DEFAULT_TIME_ZONE;
  }

  private parse(job: Pick<StoredJob, 'scheduleOverride' | 'spec'>): Schedule | undefined {
    try {
      return parseSchedule(effectiveSchedule(job));
    } catch {
      // Stored jobs were checked when they were written; one that no longer parses (an older grammar) is idle.
      return undefined;
    }
  }
}
