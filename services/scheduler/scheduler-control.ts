import type { Clock } from '../core/clock';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { SettingsRepo } from '../settings/settings-repo';
import type { ExecutionRepo } from './execution-repo';
import type { JobRepo } from './job-repo';
import type { SchedulerEvents } from './scheduler-events';

/** A tenant's scheduler state: stopped through the API, or running since a time. */
export const SCHEDULER_STATE_SETTING = 'scheduler_state';
interface StoredState {
  running: boolean;
  since: string;
}

export interface SchedulerStatus {
  running: boolean;
  startTime: string;
  uptimeSecs: number;
  totalJobs: number;
  activeJobs: number;
  runningJobs: number;
  nextJob: { name: string; scheduledTime: string } | null;
}

/**
 * Starting and stopping a tenant's scheduler (`POST /api/scheduler/start|stop`). Stopped, the clock takes the
 * tenant's fires without running them (nothing is owed when it starts again, as when Ofelia's cron is stopped);
 * runs from the API still work. The state is a setting, so every process reads the same one.
 */
export class SchedulerControl {
  constructor(
    private readonly deps: {
      settings: SettingsRepo;
      jobs: JobRepo;
      executions: ExecutionRepo;
      events: SchedulerEvents;
      eventlog: EventlogService;
      clock: Clock;
      /** When this Berth started: a tenant's scheduler runs since then until stopped. */
      startedAt: Date;
    },
  ) {}

  async isRunning(instanceId: string): Promise<boolean> {
    return (await this.state(instanceId)).running;
  }

  async status(instanceId: string): Promise<SchedulerStatus> {
    const state = await this.state(instanceId);
    const [jobs, running, next] = await Promise.all([
      this.deps.jobs.list(instanceId),
      this.deps.executions.unfinished(instanceId),
      this.deps.jobs.nextDue(instanceId),
    ]);
    const now = this.deps.clock().getTime();
    return {
      running: state.running,
      startTime: state.since,
      uptimeSecs: state.running ? Math.max(0, Math.floor((now - Date.parse(state.since)) / 1000)) : 0,
      totalJobs: jobs.length,
      activeJobs: jobs.filter((job) => job.enabled).length,
      // Queued counts as running, as in `GET /api/jobs` (Ofelia answers a run `running` before it starts).
      runningJobs: new Set(running.map((e) => e.jobId)).size,
      nextJob: state.running && next?.nextRun != null ? { name: next.name, scheduledTime: new Date(next.nextRun).toISOString() } : null,
    };
  }

  async setRunning(actor: Actor, running: boolean): Promise<SchedulerStatus> {
    const current = await this.state(actor.instanceId);
    if (current.running !== running) {
      const since = this.deps.clock().toISOString();
      await this.deps.settings.set(actor.instanceId, SCHEDULER_STATE_SETTING, { running, since } satisfies StoredState);
      await this.deps.eventlog.record(actor, running ? 'scheduler.start' : 'scheduler.stop', null);
      this.deps.events.publish(actor.instanceId, running ? 'scheduler.started' : 'scheduler.stopped', {}, this.deps.clock());
    }
    return this.status(actor.instanceId);
  }

  private async state(instanceId: string): Promise<StoredState> {
    return (await this.deps.settings.get<StoredState>(instanceId, SCHEDULER_STATE_SETTING)) ?? { running: true, since: this.deps.startedAt.toISOString() };
  }
}
