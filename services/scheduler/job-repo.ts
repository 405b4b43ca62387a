import { newId } from '../core/clock';
import type { Db } from '../db/database';
import { boolean, integerOrNull, jsonText, mapTable, text, textOrNull } from '../db/columns';
import type { JobSpec, JobType } from './job-spec';

/** Where a job came from, as the seed's `origin` names it (`manifest` is Berth's: an app's scheduler addon). */
export type JobOrigin = 'api' | 'config' | 'docker-label' | 'manifest';

export interface StoredJob {
  id: string;
  instanceId: string;
  name: string;
  type: JobType;
  origin: JobOrigin;
  /** The file, container or app that defined it (`api` for the API). */
  sourceKey: string;
  /** The operator's job: may name any container and be `local`. */
  operator: boolean;
  /** As its source wrote it. */
  spec: JobSpec;
  enabled: boolean;
  /** A schedule set through the API on a job whose source the API may not change. */
  scheduleOverride: string | null;
  /** Epoch ms of the next fire; null while disabled, or when the schedule never fires. */
  nextRun: number | null;
  lastRun: number | null;
  lastStatus: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A job not stored yet: enabled unless said, no override, never run, its next run still to compute. */
export function newJob(input: Pick<StoredJob, 'instanceId' | 'origin' | 'sourceKey' | 'operator' | 'spec'> & { enabled?: boolean }, now: Date): StoredJob {
  return {
    id: newId('job'),
    ...input,
    name: input.spec.name,
    type: input.spec.type,
    enabled: input.enabled ?? true,
    scheduleOverride: null,
    nextRun: null,
    lastRun: null,
    lastStatus: null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

export type JobPatch = Partial<Pick<StoredJob, 'type' | 'spec' | 'operator' | 'enabled' | 'scheduleOverride' | 'nextRun' | 'sourceKey' | 'updatedAt'>>;

export interface JobRepo {
  insert(job: StoredJob): Promise<void>;
  get(instanceId: string, name: string): Promise<StoredJob | undefined>;
  getById(id: string): Promise<StoredJob | undefined>;
  list(instanceId: string): Promise<StoredJob[]>;
  /** Every job one source defined, in any tenant. */
  listBySource(origin: JobOrigin, sourceKey?: string): Promise<StoredJob[]>;
  update(id: string, patch: JobPatch): Promise<void>;
  delete(id: string): Promise<void>;
  /** Enabled jobs whose next fire is at or before `now`, oldest first. */
  due(now: number, limit: number): Promise<StoredJob[]>;
  /**
   * Takes the fire at `due` by moving next_run to `next` only if it still reads `due`: true for exactly one of
   * the processes that try the same fire.
   */
  claimFire(id: string, due: number, next: number | null): Promise<boolean>;
  recordRun(id: string, at: number, status: string): Promise<void>;
  /** The enabled job of a tenant (every tenant without one) that fires first. */
  nextDue(instanceId?: string): Promise<StoredJob | undefined>;
}

const jobs = mapTable<StoredJob>('scheduler_jobs', {
  id: text(),
  instanceId: text(),
  name: text(),
  type: text<JobType>(),
  origin: text<JobOrigin>(),
  sourceKey: text(),
  operator: boolean(),
  spec: jsonText<JobSpec>(),
  enabled: boolean(),
  scheduleOverride: textOrNull(),
  nextRun: integerOrNull(),
  lastRun: integerOrNull(),
  lastStatus: textOrNull(),
  createdAt: text(),
  updatedAt: text(),
});

export class KnexJobRepo implements JobRepo {
  constructor(private readonly db: Db) {}

  async insert(job: StoredJob) {
    await this.db('scheduler_jobs').insert(jobs.toRow(job));
  }

  async get(instanceId: string, name: string) {
    const row = await this.db('scheduler_jobs').where({ instance_id: instanceId, name }).first();
    return row ? jobs.fromRow(row) : undefined;
  }

  async getById(id: string) {
    const row = await this.db('scheduler_jobs').where({ id }).first();
    return row ? jobs.fromRow(row) : undefined;
  }

  async list(instanceId: string) {
    return (await this.db('scheduler_jobs').where({ instance_id: instanceId }).orderBy('name')).map(jobs.fromRow);
  }

  async listBySource(origin: JobOrigin, sourceKey?: string) {
    const query = this.db('scheduler_jobs').where({ origin });
    if (sourceKey !== undefined) query.andWhere({ source_key: sourceKey });
    return (await query.orderBy('name')).map(jobs.fromRow);
  }

  async update(id: string, patch: JobPatch) {
    const row = jobs.toRow(patch);
    // toRow leaves undefined out; a null next_run or override must still be written.
    if (patch.nextRun === null) row.next_run = null;
    if (patch.scheduleOverride === null) row.schedule_override = null;
    if (Object.keys(row).length) await this.db('scheduler_jobs').where({ id }).update(row);
  }

  async delete(id: string) {
    await this.db('scheduler_jobs').where({ id }).delete();
  }

  async due(now: number, limit: number) {
    const rows = await this.db('scheduler_jobs').where({ enabled: true }).andWhere('next_run', '<=', now).orderBy('next_run').limit(limit);
    return rows.map(jobs.fromRow);
  }

  async claimFire(id: string, due: number, next: number | null) {
    return (await this.db('scheduler_jobs').where({ id, next_run: due, enabled: true }).update({ next_run: next })) === 1;
  }

  async recordRun(id: string, at: number, status: string) {
    await this.db('scheduler_jobs').where({ id }).update({ last_run: at, last_status: status });
  }

  async nextDue(instanceId?: string) {
    const query = this.db('scheduler_jobs').where({ enabled: true }).whereNotNull('next_run');
    if (instanceId) query.andWhere({ instance_id: instanceId });
    const row = await query.orderBy('next_run').first();
    return row ? jobs.fromRow(row) : undefined;
  }
}
