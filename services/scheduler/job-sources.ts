import type { Clock } from '../core/clock';
import { BerthError } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import type { Logger } from '../core/logger';
import type { InstanceRepo } from '../instances/instance-repo';
import { checkJobName, checkSpec } from './job-input';
import { newJob, type JobOrigin, type JobRepo, type StoredJob } from './job-repo';
import type { JobSpec } from './job-spec';
import type { JobTimes } from './job-times';
import type { SchedulerEvents } from './scheduler-events';

/** A job as a source defines it, with the tenant it runs for. */
export interface SourcedJob {
  instanceId: string;
  /** The operator's (the INI file, labels on containers Berth does not manage). */
  operator: boolean;
  spec: JobSpec;
}

export interface SyncReport {
  added: string[];
  updated: string[];
  removed: string[];
  /** Jobs the source defined that were not taken, each with the reason (also logged). */
  refused: Array<{ job: string; reason: string }>;
}

export const emptyReport = (): SyncReport => ({ added: [], updated: [], removed: [], refused: [] });

/** Two specs define the same job when all but where they were written matches (a line moved is not a change). */
const sameJob = (a: JobSpec, b: JobSpec) => JSON.stringify({ ...a, source: null }) === JSON.stringify({ ...b, source: null });

/**
 * Replaces what one source (a file, a container's labels, an app's manifest) defines with what it defines now:
 * new jobs are added, changed ones updated in place (their history, enabled flag and schedule override kept),
 * vanished ones removed. A job that fails its checks, or whose name another source already uses in the
 * tenant, is refused with a reason, and the source's other jobs still load.
 */
export class JobSources {
  constructor(
    private readonly deps: {
      jobs: JobRepo;
      instances: Pick<InstanceRepo, 'findDefault'>;
      times: JobTimes;
      events: SchedulerEvents;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** The tenant the operator's jobs run for: the box's default tenant. Undefined before the box has one. */
  async operatorTenant(): Promise<string | undefined> {
    return (await this.deps.instances.findDefault())?.id;
  }

  /** Every source key of an origin that has jobs stored (a file that was removed still has its jobs here). */
  async sourceKeys(origin: JobOrigin): Promise<string[]> {
    return [...new Set((await this.deps.jobs.listBySource(origin)).map((job) => job.sourceKey))];
  }

  async sync(origin: JobOrigin, sourceKey: string, entries: SourcedJob[]): Promise<SyncReport> {
    const report = emptyReport();
    const stored = new Map((await this.deps.jobs.listBySource(origin, sourceKey)).map((job) => [`${job.instanceId}/${job.name}`, job]));
    const seen = new Set<string>();
    for (const entry of entries) {
      const key = `${entry.instanceId}/${entry.spec.name}`;
      if (seen.has(key)) {
        this.refuse(report, entry.spec.name, 'defined twice by the same source', origin, sourceKey);
        continue;
      }
      seen.add(key);
      try {
        checkJobName(entry.spec.name);
        checkSpec(entry.spec, entry.operator, (field) => `${entry.spec.name}.${field}`);
        const existing = stored.get(key);
        if (existing) {
          if (await this.replace(existing, entry)) report.updated.push(entry.spec.name);
        } else {
          await this.add(origin, sourceKey, entry);
          report.added.push(entry.spec.name);
        }
      } catch (err) {
        if (!(err instanceof BerthError)) throw err;
        this.refuse(report, entry.spec.name, err.message, origin, sourceKey);
      }
    }
    for (const [key, job] of stored) {
      if (seen.has(key)) continue;
      await this.deps.jobs.delete(job.id);
      report.removed.push(job.name);
      this.publish(job, 'job.removed');
    }
    return report;
  }

  private async add(origin: JobOrigin, sourceKey: string, entry: SourcedJob): Promise<void> {
    const taken = await this.deps.jobs.get(entry.instanceId, entry.spec.name);
    if (taken) throw new BerthError('CONFLICT', 409, `the name is already used by a job from ${taken.origin}`);
    const now = this.deps.clock();
    const job = newJob({ instanceId: entry.instanceId, origin, sourceKey, operator: entry.operator, spec: entry.spec }, now);
    job.nextRun = await this.deps.times.nextRun(job, now);
    try {
      await this.deps.jobs.insert(job);
    } catch (err) {
      // Another process read the same source at the same moment and stored it first.
      if (isUniqueViolation(err)) return;
      throw err;
    }
    this.publish(job, 'job.added');
  }

  /** True when the job changed (a moved line only is stored, not reported). */
  private async replace(job: StoredJob, entry: SourcedJob): Promise<boolean> {
    const changed = !sameJob(job.spec, entry.spec) || job.operator !== entry.operator;
    if (!changed && JSON.stringify(job.spec.source) === JSON.stringify(entry.spec.source)) return false;
    const now = this.deps.clock();
    const rescheduled = job.spec.schedule !== entry.spec.schedule && !job.scheduleOverride;
    const next = { ...job, spec: entry.spec };
    await this.deps.jobs.update(job.id, {
      spec: entry.spec,
      type: entry.spec.type,
      operator: entry.operator,
      updatedAt: now.toISOString(),
      ...(rescheduled && job.enabled ? { nextRun: await this.deps.times.nextRun(next, now) } : {}),
    });
    if (changed) this.publish(next, 'job.updated');
    return changed;
  }

  private refuse(report: SyncReport, job: string, reason: string, origin: JobOrigin, sourceKey: string): void {
    report.refused.push({ job, reason });
    this.deps.logger.warn({ job, origin, source: sourceKey, reason }, 'scheduler: job refused');
  }

  private publish(job: StoredJob, type: 'job.added' | 'job.updated' | 'job.removed'): void {
    this.deps.events.publish(job.instanceId, type, { job: job.name, origin: job.origin }, this.deps.clock());
  }
}
