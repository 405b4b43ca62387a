import type { Db } from '../db/database';
import { asBoolean, boolean, integer, integerOrNull, jsonText, mapTable, text, textOrNull } from '../db/columns';

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

/** The tasks table: a task's error is two columns, and the exclusive key is only for the unique index. */
type TaskRecord = Omit<Task, 'error'> & { errorCode: TaskErrorCode | null; errorMessage: string | null; exclusiveKey: string | null };

const tasks = mapTable<TaskRecord>('tasks', {
  id: integer(),
  instanceId: text(),
  type: text(),
  args: jsonText(),
  state: text(),
  percent: integer(),
  message: text(),
  errorCode: textOrNull(),
  errorMessage: textOrNull(),
  // The text `null` for a task that succeeded with no result, SQL NULL before it ends: both read as null.
  result: jsonText(),
  objectKey: textOrNull(),
  exclusiveKey: textOrNull(),
  createdBy: textOrNull(),
  attempt: integer(),
  timeoutMs: integer(),
  stopRequested: boolean(),
  workerId: textOrNull(),
  heartbeatAt: integerOrNull(),
  createdAt: integer(),
  startedAt: integerOrNull(),
  endedAt: integerOrNull(),
  ts: integer(),
});

const taskLogs = mapTable<{ id: number; taskId: number; at: number; line: string }>('task_logs', {
  id: integer(),
  taskId: integer(),
  at: integer(),
  line: text(),
});

function fromRow(row: Record<string, unknown>): Task {
  const { errorCode, errorMessage, exclusiveKey: _exclusiveKey, ...task } = tasks.fromRow(row);
  return { ...task, error: errorCode ? { code: errorCode, message: errorMessage ?? '' } : null };
}

const logLine = (row: Record<string, unknown>) => {
  const { id, at, line } = taskLogs.fromRow(row);
  return { id, at, line };
};

function outcomeColumns(outcome: Outcome, now: number) {
  const ended = { endedAt: now, ts: now, heartbeatAt: null };
  return outcome.state === 'success'
    ? tasks.toRow({ state: 'success', result: outcome.result ?? null, percent: outcome.percent, message: outcome.message, ...ended })
    : tasks.toRow({ state: 'error', errorCode: outcome.code, errorMessage: outcome.message, ...ended });
}

export class KnexTaskRepo implements TaskRepo {
  constructor(private readonly db: Db) {}

  async insert(row: NewTaskRow) {
    const [inserted] = await this.db('tasks')
      .insert(
        tasks.toRow({
          instanceId: row.instanceId,
          type: row.type,
          // An object: the task type's schema checked it before the row is written.
          args: row.args as Record<string, unknown>,
          state: 'pending',
          objectKey: row.objectKey,
          exclusiveKey: row.exclusiveKey,
          createdBy: row.createdBy,
          timeoutMs: row.timeoutMs,
          createdAt: row.now,
          ts: row.now,
        }),
      )
      .returning('*');
    return fromRow(inserted);
  }

  async get(id: number) {
    const row = await this.db('tasks').where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  async getForInstance(instanceId: string, id: number) {
    const row = await this.db('tasks').where({ id, instance_id: instanceId }).first();
    return row ? fromRow(row) : undefined;
  }

  async list({ instanceId, type, page, perPage }: TaskPage) {
    const query = this.db('tasks').where({ instance_id: instanceId });
    if (type) query.andWhere({ type });
    const rows = await query.orderBy('id', 'desc').limit(perPage).offset((page - 1) * perPage);
    return rows.map(fromRow);
  }

  async countActive(instanceId: string, type: string) {
    const row = await this.db('tasks').where({ instance_id: instanceId, type, state: 'active' }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async unfinishedOn(objectKey: string) {
    const rows = await this.db('tasks').where({ object_key: objectKey }).whereIn('state', ['pending', 'active']).orderBy('id');
    return rows.map(fromRow);
  }

  async unfinishedFor(instanceId: string) {
    const rows = await this.db('tasks').where({ instance_id: instanceId }).whereIn('state', ['pending', 'active']).orderBy('id');
    return rows.map(fromRow);
  }

  async claim(id: number, workerId: string, now: number) {
    const [row] = await this.db('tasks')
      .where({ id, state: 'pending', stop_requested: false })
      .update({ ...tasks.toRow({ state: 'active', workerId, heartbeatAt: now, startedAt: now, ts: now }), attempt: this.db.raw('attempt + 1') })
      .returning('*');
    return row ? fromRow(row) : undefined;
  }

  async heartbeat(id: number, workerId: string, now: number, progress?: { percent: number; message: string }) {
    const changed = await this.db('tasks')
      .where({ id, worker_id: workerId, state: 'active' })
      .update(tasks.toRow({ heartbeatAt: now, ...(progress ? { percent: progress.percent, message: progress.message, ts: now } : {}) }));
    if (!changed) return { held: false, stopRequested: false };
    const row = await this.db('tasks').where({ id }).first('stop_requested');
    return { held: true, stopRequested: asBoolean(row?.stop_requested) };
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
    return (await query.update(tasks.toRow({ state: 'pending', workerId: null, heartbeatAt: null, ts: now }))) > 0;
  }

  async requestStop(id: number, now: number) {
    await this.db('tasks').where({ id }).update(tasks.toRow({ stopRequested: true, ts: now }));
  }

  async stale(before: number) {
    const rows = await this.db('tasks').where({ state: 'active' }).andWhere('heartbeat_at', '<', before);
    return rows.map(fromRow);
  }

  async pendingBefore(before: number) {
    const rows = await this.db('tasks').where({ state: 'pending' }).andWhere('ts', '<', before).orderBy('id').limit(1000);
    return rows.map(fromRow);
  }

  async appendLog(taskId: number, lines: Array<{ at: number; line: string }>) {
    if (lines.length) await this.db('task_logs').insert(lines.map(({ at, line }) => taskLogs.toRow({ taskId, at, line })));
  }

  async logsAfter(taskId: number, afterId: number, limit: number) {
    const rows = await this.db('task_logs').where({ task_id: taskId }).andWhere('id', '>', afterId).orderBy('id').limit(limit);
    return rows.map(logLine);
  }

  async lastLogs(taskId: number, count: number) {
    const rows = await this.db('task_logs').where({ task_id: taskId }).orderBy('id', 'desc').limit(count);
    return rows.reverse().map(logLine);
  }

  async deleteEndedBefore(before: number) {
    return this.db('tasks').whereIn('state', ['success', 'error']).andWhere('ended_at', '<', before).delete();
  }

  async delete(id: number) {
    await this.db('tasks').where({ id }).delete();
  }
}
