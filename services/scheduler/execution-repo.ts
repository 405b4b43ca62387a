import type { Db } from '../db/database';
import { isUniqueViolation } from '../db/database';
import { integer, integerOrNull, mapTable, text, textOrNull } from '../db/columns';

export type ExecutionTrigger = 'schedule' | 'manual' | 'startup';
/** `queued` and `running` are unfinished; `skipped` (no-overlap, a paused scheduler) and `missed` never ran. */
export type ExecutionStatus = 'queued' | 'running' | 'success' | 'failed' | 'stopped' | 'timeout' | 'crashed' | 'skipped' | 'missed';

export interface Execution {
  id: string;
  jobId: string;
  instanceId: string;
  jobName: string;
  trigger: ExecutionTrigger;
  /** The fire it is (epoch ms); null for a run from the API. */
  scheduledFor: number | null;
  taskId: number | null;
  status: ExecutionStatus;
  exitCode: number | null;
  output: string | null;
  error: string | null;
  attempts: number;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

export type ExecutionPatch = Partial<Pick<Execution, 'taskId' | 'status' | 'exitCode' | 'output' | 'error' | 'attempts' | 'startedAt' | 'endedAt'>>;

export interface JobMetrics {
  totalRuns: number;
  successfulRuns: number;
  failedRuns: number;
  /** Milliseconds, over finished runs. */
  averageDurationMs: number;
  lastSuccess: number | null;
  lastFailure: number | null;
}

export const UNFINISHED: ExecutionStatus[] = ['queued', 'running'];
const FAILED: ExecutionStatus[] = ['failed', 'timeout', 'crashed', 'stopped'];

export interface ExecutionRepo {
  /** False when the fire (job, scheduledFor) already has an execution: another process took it. */
  insert(execution: Execution): Promise<boolean>;
  get(instanceId: string, id: string): Promise<Execution | undefined>;
  /** Any tenant's: for the worker that runs it. */
  getById(id: string): Promise<Execution | undefined>;
  getByTask(taskId: number): Promise<Execution | undefined>;
  update(id: string, patch: ExecutionPatch): Promise<void>;
  /** Newest first. */
  history(jobId: string, limit: number): Promise<Execution[]>;
  /** Removes the job's finished executions beyond the newest `keep`. */
  trim(jobId: string, keep: number): Promise<void>;
  metrics(jobId: string): Promise<JobMetrics>;
  /** Unfinished executions of a tenant (every tenant without one). */
  unfinished(instanceId?: string): Promise<Execution[]>;
  /** Queued executions no task was created for (a process died between the two writes), older than `before`. */
  undispatched(before: number): Promise<Execution[]>;
  /** Takes an undispatched execution for this process (moves its created_at from `was` to `now`); false if taken. */
  retake(id: string, was: number, now: number): Promise<boolean>;
}

const executions = mapTable<Execution>('scheduler_executions', {
  id: text(),
  jobId: text(),
  instanceId: text(),
  jobName: text(),
  trigger: text<ExecutionTrigger>(),
  scheduledFor: integerOrNull(),
  taskId: integerOrNull(),
  status: text<ExecutionStatus>(),
  exitCode: integerOrNull(),
  output: textOrNull(),
  error: textOrNull(),
  attempts: integer(),
  createdAt: integer(),
  startedAt: integerOrNull(),
  endedAt: integerOrNull(),
});

export class KnexExecutionRepo implements ExecutionRepo {
  constructor(private readonly db: Db) {}

  async insert(execution: Execution) {
    try {
      await this.db('scheduler_executions').insert(executions.toRow(execution));
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async get(instanceId: string, id: string) {
    const row = await this.db('scheduler_executions').where({ instance_id: instanceId, id }).first();
    return row ? executions.fromRow(row) : undefined;
  }

  async getById(id: string) {
    const row = await this.db('scheduler_executions').where({ id }).first();
    return row ? executions.fromRow(row) : undefined;
  }

  async getByTask(taskId: number) {
    const row = await this.db('scheduler_executions').where({ task_id: taskId }).first();
    return row ? executions.fromRow(row) : undefined;
  }

  async update(id: string, patch: ExecutionPatch) {
    const row = executions.toRow(patch);
    if (Object.keys(row).length) await this.db('scheduler_executions').where({ id }).update(row);
  }

  async history(jobId: string, limit: number) {
    const rows = await this.db('scheduler_executions').where({ job_id: jobId }).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
    return rows.map(executions.fromRow);
  }

  async trim(jobId: string, keep: number) {
    const kept = this.db('scheduler_executions').select('id').where({ job_id: jobId }).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(keep);
    // The subquery is materialised first: MySQL-style engines refuse LIMIT in IN, SQLite and PostgreSQL accept it.
    const keepIds = (await kept).map((row: { id: string }) => row.id);
    await this.db('scheduler_executions').where({ job_id: jobId }).whereNotIn('status', UNFINISHED).whereNotIn('id', keepIds).delete();
  }

  async metrics(jobId: string): Promise<JobMetrics> {
    const base = () => this.db('scheduler_executions').where({ job_id: jobId });
    const [totals] = await base()
      .whereNotIn('status', [...UNFINISHED, 'skipped', 'missed'])
      .select(
        this.db.raw('count(*) as total'),
        this.db.raw(`sum(case when status = 'success' then 1 else 0 end) as ok`),
        this.db.raw('avg(ended_at - started_at) as avg_ms'),
      );
    const [success] = await base().where({ status: 'success' }).max({ at: 'ended_at' });
    const [failure] = await base().whereIn('status', FAILED).max({ at: 'ended_at' });
    const total = Number(totals?.total ?? 0);
    const ok = Number(totals?.ok ?? 0);
    return {
      totalRuns: total,
      successfulRuns: ok,
      failedRuns: total - ok,
      averageDurationMs: Math.round(Number(totals?.avg_ms ?? 0)),
      lastSuccess: success?.at === null || success?.at === undefined ? null : Number(success.at),
      lastFailure: failure?.at === null || failure?.at === undefined ? null : Number(failure.at),
    };
  }

  async unfinished(instanceId?: string) {
    const query = this.db('scheduler_executions').whereIn('status', UNFINISHED);
    if (instanceId) query.andWhere({ instance_id: instanceId });
    return (await query.orderBy('created_at')).map(executions.fromRow);
  }

  async retake(id: string, was: number, now: number) {
    return (await this.db('scheduler_executions').where({ id, created_at: was, status: 'queued' }).whereNull('task_id').update({ created_at: now })) === 1;
  }

  async undispatched(before: number) {
    const rows = await this.db('scheduler_executions').where({ status: 'queued' }).whereNull('task_id').andWhere('created_at', '<', before);
    return rows.map(executions.fromRow);
  }
}
