import type { Clock } from '../core/clock';
import { BerthError, conflict, forbidden } from '../core/errors';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import { isUniqueViolation } from '../db/database';
import type { ExecutionRepo, JobMetrics, Execution } from './execution-repo';
import { checkJobName, checkSpec, mergeInput, specFromInput, type JobInput } from './job-input';
import { newJob, type JobOrigin, type JobRepo, type StoredJob } from './job-repo';
import type { JobRuntime } from './job-runtime';
import { OFELIA_JOB_DEFAULTS } from './job-spec';
import type { JobTimes } from './job-times';
import type { SchedulerEvents } from './scheduler-events';

export interface JobDetails {
  job: StoredJob;
  history: Execution[];
  metrics: JobMetrics;
}

/** What the API may change on a job whose source is a file, a label or a manifest. */
const OVERRIDABLE = new Set(['schedule', 'enabled']);

export const jobNotFound = (name: string) =>
  new BerthError('JOB_NOT_FOUND', 404, `Job '${name}' not found`, { job: name });

/**
 * The jobs of a tenant, as the API sees them: listing, reading with history, creating (`PUT` of a new name or
 * `POST /api/jobs`), changing, deleting and toggling. Jobs defined by a file, a label or a manifest belong to
 * their source: the API may disable them and override their schedule, nothing else, and may not delete them
 * (403 naming the source), as in netresearch's Ofelia. Sources replace their jobs through `JobSources`.
 */
export class JobService {
  constructor(
    private readonly deps: {
      jobs: JobRepo;
      executions: ExecutionRepo;
      runtime: JobRuntime;
      times: JobTimes;
      events: SchedulerEvents;
      eventlog: EventlogService;
      clock: Clock;
    },
  ) {}

  list(instanceId: string): Promise<StoredJob[]> {
    return this.deps.jobs.list(instanceId);
  }

  async get(instanceId: string, name: string): Promise<StoredJob> {
    const job = await this.deps.jobs.get(instanceId, name);
    if (!job) throw jobNotFound(name);
    return job;
  }

  async details(instanceId: string, name: string): Promise<JobDetails> {
    const job = await this.get(instanceId, name);
    const limit = job.spec.historyLimit ?? OFELIA_JOB_DEFAULTS.historyLimit;
    const [history, metrics] = await Promise.all([this.deps.executions.history(job.id, limit), this.deps.executions.metrics(job.id)]);
    return { job, history, metrics };
  }

  /** `PUT /api/job/{name}`: creates the job when the name is new, else changes it. */
  async put(actor: Actor, name: string, input: JobInput): Promise<{ job: StoredJob; created: boolean }> {
    const existing = await this.deps.jobs.get(actor.instanceId, name);
    if (!existing) return { job: await this.create(actor, name, input), created: true };
    return { job: await this.update(actor, existing, input), created: false };
  }

  /** `POST /api/jobs`: a new job; 409 when the name is taken. */
  async create(actor: Actor, name: string, input: JobInput): Promise<StoredJob> {
    checkJobName(name);
    if (await this.deps.jobs.get(actor.instanceId, name)) throw conflict(`Job '${name}' already exists`, { job: name });
    const spec = specFromInput(name, input);
    checkSpec(spec, false);
    await this.deps.runtime.check({ instanceId: actor.instanceId, operator: false }, spec);
    const now = this.now();
    const job = newJob({ instanceId: actor.instanceId, origin: 'api', sourceKey: 'api', operator: false, spec, enabled: input.enabled }, now);
    job.nextRun = job.enabled ? await this.deps.times.nextRun(job, now) : null;
    await this.deps.jobs.insert(job).catch((err) => {
      throw isUniqueViolation(err) ? conflict(`Job '${name}' already exists`, { job: name }) : err;
    });
    await this.deps.eventlog.record(actor, 'scheduler.job.add', job.id, { name, type: job.type });
    this.publish(job, 'job.added');
    return job;
  }

  async delete(actor: Actor, name: string): Promise<void> {
    const job = await this.get(actor.instanceId, name);
    if (job.origin !== 'api') {
      throw forbidden(`Job '${name}' comes from ${describeSource(job)}: disable it instead, or remove it there`);
    }
    await this.deps.jobs.delete(job.id);
    await this.deps.eventlog.record(actor, 'scheduler.job.remove', job.id, { name });
    this.publish(job, 'job.removed');
  }

  /** `PATCH /api/job/{name}/toggle`: enables a disabled job, disables an enabled one. */
  async toggle(actor: Actor, name: string): Promise<StoredJob> {
    const job = await this.get(actor.instanceId, name);
    return this.setEnabled(actor, job, !job.enabled);
  }

  async setEnabled(actor: Actor, job: StoredJob, enabled: boolean): Promise<StoredJob> {
    const now = this.now();
    const changed: StoredJob = { ...job, enabled, updatedAt: now.toISOString() };
    // A re-enabled job starts from now: the fires it skipped while disabled are not owed.
    changed.nextRun = enabled ? await this.deps.times.nextRun(changed, now) : null;
    await this.deps.jobs.update(job.id, { enabled, nextRun: changed.nextRun, updatedAt: changed.updatedAt });
    await this.deps.eventlog.record(actor, enabled ? 'scheduler.job.enable' : 'scheduler.job.disable', job.id, { name: job.name });
    this.publish(changed, 'job.updated');
    return changed;
  }

  private async update(actor: Actor, job: StoredJob, input: JobInput): Promise<StoredJob> {
    if (job.origin !== 'api') return this.override(actor, job, input);
    const spec = mergeInput(job.spec, input);
    checkSpec(spec, job.operator);
    await this.deps.runtime.check({ instanceId: job.instanceId, operator: job.operator }, spec);
    const now = this.now();
    const changed: StoredJob = { ...job, spec, type: spec.type, enabled: input.enabled ?? job.enabled, updatedAt: now.toISOString() };
    changed.nextRun = changed.enabled ? await this.deps.times.nextRun(changed, now) : null;
    await this.deps.jobs.update(job.id, { spec, type: spec.type, enabled: changed.enabled, nextRun: changed.nextRun, updatedAt: changed.updatedAt });
    await this.deps.eventlog.record(actor, 'scheduler.job.update', job.id, { name: job.name, fields: Object.keys(input) });
    this.publish(changed, 'job.updated');
    return changed;
  }

  /** A file's, label's or manifest's job: a schedule override and the enabled flag, nothing else. */
  private async override(actor: Actor, job: StoredJob, input: JobInput): Promise<StoredJob> {
    const refused = Object.keys(input).filter((key) => !OVERRIDABLE.has(key));
    if (refused.length) {
      throw forbidden(`Job '${job.name}' comes from ${describeSource(job)}: only its schedule and enabled flag can be changed here (not ${refused.join(', ')})`);
    }
    const schedule = input.schedule;
    if (schedule !== undefined) checkSpec({ ...job.spec, schedule }, job.operator);
    const now = this.now();
    const changed: StoredJob = {
      ...job,
      scheduleOverride: schedule ?? job.scheduleOverride,
      enabled: input.enabled ?? job.enabled,
      updatedAt: now.toISOString(),
    };
    changed.nextRun = changed.enabled ? await this.deps.times.nextRun(changed, now) : null;
    await this.deps.jobs.update(job.id, {
      scheduleOverride: changed.scheduleOverride,
      enabled: changed.enabled,
      nextRun: changed.nextRun,
      updatedAt: changed.updatedAt,
    });
    await this.deps.eventlog.record(actor, 'scheduler.job.update', job.id, { name: job.name, fields: Object.keys(input) });
    this.publish(changed, 'job.updated');
    return changed;
  }

  private publish(job: StoredJob, type: 'job.added' | 'job.updated' | 'job.removed'): void {
    this.deps.events.publish(job.instanceId, type, { job: job.name, origin: job.origin }, this.now());
  }

  private now(): Date {
    return this.deps.clock();
  }
}

export function describeSource(job: Pick<StoredJob, 'origin' | 'sourceKey' | 'spec'>): string {
  const source = job.spec.source;
  switch (source.kind) {
    case 'file':
      return `the configuration file ${source.path} (line ${source.line})`;
    case 'label':
      return `the labels of container ${source.containerName}`;
    case 'manifest':
      return `the manifest of app ${source.appId}`;
    default:
      return originName(job.origin);
  }
}

function originName(origin: JobOrigin): string {
  return origin === 'api' ? 'the API' : origin;
}
