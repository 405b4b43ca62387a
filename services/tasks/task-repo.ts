import type { Db } from '../db/database';
import { bool, json } from '../db/database';

export type TaskState = 'pending' | 'active' | 'success' | 'error';
export type TaskErrorCode = 'stopped' | 'crashed' | 'timeout' | 'failed';

export interface Task {
  id: number;
  instanceId: string;
  type: string;
  args: Record<string, unknown>;
  state: TaskState;
  percent: number;
  message: string;
  error: { code: TaskErrorCode; message: string } | null;
  result: unknown;
  objectKey: string | null;
  createdBy: string | null;
  attempt: number;
  timeoutMs: number;
  stopRequested: boolean;
  workerId: string | null;
  heartbeatAt: number | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  ts: number;
}

export interface NewTaskRow {
  instanceId: string;
  type: string;
  /** Already checked against the type; stored as JSON. */
  args: unknown;
  objectKey: string | null;
  /** Set for `refuse` types: at most one unfinished task per exclusive key (enforced by a unique index). */
  exclusiveKey: string | null;
  createdBy: string | null;
  timeoutMs: number;
  now: number;
}

export interface TaskPage {
  instanceId: string;
  type?: string;
  page: number;
  perPage: number;
}

export interface TaskRepo {
  insert(row: NewTaskRow): Promise<Task>;
  get(id: number): Promise<Task | undefined>;
  getForInstance(instanceId: string, id: number): Promise<Task | undefined>;
  list(query: TaskPage): Promise<Task[]>;
  /** How many tasks of this type the tenant has running right now (on any worker). */
  countActive(instanceId: string, type: string): Promise<number>;
  /** Unfinished tasks on an object, oldest first. */
  unfinishedOn(objectKey: string): Promise<Task[]>;
  /** A tenant's unfinished tasks, oldest first. */
  unfinishedFor(instanceId: string): Promise<Task[]>;
  /** pending → active for this worker; undefined when the task is not pending (already taken, stopped, ended). */
  claim(id: number, workerId: string, now: number): Promise<Task | undefined>;
  /** Progress and heartbeat from the worker holding the task; returns whether a stop was requested. */
  heartbeat(id: number, workerId: string, now: number, progress?: { percent: number; message: string }): Promise<{ held: boolean; stopRequested: boolean }>;
  /** active (held by workerId, or by anyone when workerId is null) → a terminal state. False when not held. */
  finish(id: number, workerId: string | null, outcome: Outcome, now: number): Promise<boolean>;
  /** Ends a pending task (stopped before it started). False when it was no longer pending. */
  finishPending(id: number, outcome: Outcome, now: number): Promise<boolean>;
  /** active → pending again, for a re-run (an idempotent task whose worker died or shut down). */
  requeue(id: number, workerId: string | null, now: number): Promise<boolean>;
  requestStop(id: number, now: number): Promise<void>;
  /** Active tasks whose heartbeat is older than `before`. */
  stale(before: number): Promise<Task[]>;
  /** Pending tasks created before `before` (candidates for re-enqueueing). */
  pendingBefore(before: number): Promise<Task[]>;
  appendLog(taskId: number, lines: Array<{ at: number; line: string }>): Promise<void>;
  /** Log lines with id > afterId, in order. */
  logsAfter(taskId: number, afterId: number, limit: number): Promise<Array<{ id: number; at: number; line: string }>>;
  /** The last `count` log lines, in order. */
  lastLogs(taskId: number, count: number): Promise<Array<{ id: number; at: number; line: string }>>;
  deleteEndedBefore(before: number): Promise<number>;
  delete(id: number): Promise<void>;
}

export type Outcome =
  | { state: 'success'; result: unknown; percent: number; message: string }
  | { state: 'error'; code: TaskErrorCode; message: string };

interface TaskRow {
  id: number;
  instance_id: string;
  type: string;
  args: string;
  state: TaskState;
  percent: number;
  message: string;
  error_code: TaskErrorCode | null;
  error_message: string | null;
  result: string | null;
  object_key: string | null;
  created_by: string | null;
  attempt: number;
  timeout_ms: number;
  stop_requested: boolean | number;
  worker_id: string | null;
  heartbeat_at: number | string | null;
  created_at: number | string;
  started_at: number | string | null;
  ended_at: number | string | null;
  ts: number | string;
}

// PostgreSQL returns bigint columns as strings.
const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRow(row: TaskRow): Task {
  return {
    id: Number(row.id),
    instanceId: row.instance_id,
    type: row.type,
    args: json(row.args),
    state: row.state,
    percent: Number(row.percent),
    message: row.message,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    result: row.result === null ? null : json(row.result),
    objectKey: row.object_key,
    createdBy: row.created_by,
    attempt: Number(row.attempt),
    timeoutMs: Number(row.timeout_ms),
    stopRequested: bool(row.stop_requested),
    workerId: row.worker_id,
    heartbeatAt: num(row.heartbeat_at),
    createdAt: Number(row.created_at),
    startedAt: num(row.started_at),
    endedAt: num(row.ended_at),
    ts: Number(row.ts),
  };
}

function outcomeColumns(outcome: Outcome, now: number) {
  return outcome.state === 'success'
    ? { state: 'success', result: JSON.stringify(outcome.result ?? null), percent: outcome.percent, message: outcome.message, ended_at: now, ts: now, heartbeat_at: null }
    : { state: 'error', error_code: outcome.code, error_message: outcome.message, ended_at: now, ts: now, heartbeat_at: null };
}

export class KnexTaskRepo implements TaskRepo {
  constructor(private readonly db: Db) {}

  async insert(row: NewTaskRow) {
    const [inserted] = await this.db('tasks')
      .insert({
        instance_id: row.instanceId,
        type: row.type,
        args: JSON.stringify(row.args),
        state: 'pending',
        object_key: row.objectKey,
        exclusive_key: row.exclusiveKey,
        created_by: row.createdBy,
        timeout_ms: row.timeoutMs,
        created_at: row.now,
        ts: row.now,
      })
      .returning('*');
    return fromRow(inserted as TaskRow);
  }

  async get(id: number) {
    const row = await this.db<TaskRow>('tasks').where({ id }).first();
    return row && fromRow(row);
  }

  async getForInstance(instanceId: string, id: number) {
    const row = await this.db<TaskRow>('tasks').where({ id, instance_id: instanceId }).first();
    return row && fromRow(row);
  }

  async list({ instanceId, type, page, perPage }: TaskPage) {
    const query = this.db<TaskRow>('tasks').where({ instance_id: instanceId });
    if (type) query.andWhere({ type });
    const rows = await query.orderBy('id', 'desc').limit(perPage).offset((page - 1) * perPage);
    return rows.map(fromRow);
  }

  async countActive(instanceId: string, type: string) {
    const row = await this.db('tasks').where({ instance_id: instanceId, type, state: 'active' }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async unfinishedOn(objectKey: string) {
    const rows = await this.db<TaskRow>('tasks').where({ object_key: objectKey }).whereIn('state', ['pending', 'active']).orderBy('id');
    return rows.map(fromRow);
  }

  async unfinishedFor(instanceId: string) {
    const rows = await this.db<TaskRow>('tasks').where({ instance_id: instanceId }).whereIn('state', ['pending', 'active']).orderBy('id');
    return rows.map(fromRow);
  }

  async claim(id: number, workerId: string, now: number) {
    const [row] = await this.db('tasks')
      .where({ id, state: 'pending', stop_requested: false })
      .update({ state: 'active', worker_id: workerId, heartbeat_at: now, started_at: now, ts: now, attempt: this.db.raw('attempt + 1') })
      .returning('*');
    return row ? fromRow(row as TaskRow) : undefined;
  }

  async heartbeat(id: number, workerId: string, now: number, progress?: { percent: number; message: string }) {
    const changed = await this.db('tasks')
      .where({ id, worker_id: workerId, state: 'active' })
      .update({ heartbeat_at: now, ...(progress ? { percent: progress.percent, message: progress.message, ts: now } : {}) });
    if (!changed) return { held: false, stopRequested: false };
    const row = await this.db('tasks').where({ id }).first('stop_requested');
    return { held: true, stopRequested: bool(row?.stop_requested) };
  }

  async finish(id: number, workerId: string | null, outcome: Outcome, now: number) {
    const query = this.db('tasks').where({ id, state: 'active' });
    if (workerId) query.andWhere({ worker_id: workerId });
    return (await query.update(outcomeColumns(outcome, now))) > 0;
  }

  async finishPending(id: number, outcome: Outcome, now: number) {
    return (await this.db('tasks').where({ id, state: 'pending' }).update(outcomeColumns(outcome, now))) > 0;
  }

  async requeue(id: number, workerId: string | null, now: number) {
    const query = this.db('tasks').where({ id, state: 'active' });
    if (workerId) query.andWhere({ worker_id: workerId });
    return (await query.update({ state: 'pending', worker_id: null, heartbeat_at: null, ts: now })) > 0;
  }

  async requestStop(id: number, now: number) {
    await this.db('tasks').where({ id }).update({ stop_requested: true, ts: now });
  }

  async stale(before: number) {
    const rows = await this.db<TaskRow>('tasks').where({ state: 'active' }).andWhere('heartbeat_at', '<', before);
    return rows.map(fromRow);
  }

  async pendingBefore(before: number) {
    const rows = await this.db<TaskRow>('tasks').where({ state: 'pending' }).andWhere('ts', '<', before).orderBy('id').limit(1000);
    return rows.map(fromRow);
  }

  async appendLog(taskId: number, lines: Array<{ at: number; line: string }>) {
    if (lines.length) await this.db('task_logs').insert(lines.map(({ at, line }) => ({ task_id: taskId, at, line })));
  }

  async logsAfter(taskId: number, afterId: number, limit: number) {
    const rows = await this.db('task_logs').where({ task_id: taskId }).andWhere('id', '>', afterId).orderBy('id').limit(limit);
    return rows.map((r: { id: number; at: number | string; line: string }) => ({ id: Number(r.id), at: Number(r.at), line: r.line }));
  }

  async lastLogs(taskId: number, count: number) {
    const rows = await this.db('task_logs').where({ task_id: taskId }).orderBy('id', 'desc').limit(count);
    return rows.reverse().map((r: { id: number; at: number | string; line: string }) => ({ id: Number(r.id), at: Number(r.at), line: r.line }));
  }

  async deleteEndedBefore(before: number) {
    return this.db('tasks').whereIn('state', ['success', 'error']).andWhere('ended_at', '<', before).delete();
  }

  async delete(id: number) {
    await this.db('tasks').where({ id }).delete();
  }
}
