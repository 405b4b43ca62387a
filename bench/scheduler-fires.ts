import type { Db } from '../services/db/database';
import { percentile } from './common';

/**
 * What the scheduler bench reads back from the database after a run: every scheduled fire in the measured window,
 * when it was taken, dispatched and started, and what should have fired but did not.
 */

/** A job's fires: every `periodMs`, at `offsetMs` past each multiple of the period (epoch-anchored, as Berth's are). */
export interface Slots {
  jobId: string;
  periodMs: number;
  offsetMs: number;
}

export interface FireRow {
  job_id: string;
  scheduled_for: number | string;
  status: string;
  created_at: number | string;
  task_id: number | null;
  task_created_at: number | string | null;
  task_started_at: number | string | null;
  task_ended_at: number | string | null;
  worker_id: string | null;
}

export interface Lateness {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface FireReport {
  /** Slots in the window: what should have fired. */
  expected: number;
  executions: number;
  /** Execution `created_at` − slot: the tick that took the fire (the clock's `now` at the start of its tick). */
  tick: Lateness;
  /** Task `created_at` − slot: the fire taken and its task created (the end of the fire's transaction + dispatch). */
  taken: Lateness;
  /** Task `started_at` − slot: a worker began to run it. */
  started: Lateness;
  /** Task `ended_at` − slot, as context. */
  ended: Lateness;
  /** Executions beyond one per (job, slot): the unique index makes this 0 by construction. */
  duplicateExecutions: number;
  /** Tasks beyond one per execution (two tasks pointing at one execution would run it twice). */
  duplicateTasks: number;
  /** Slots in the window that have no execution at all (skipped silently). */
  missingSlots: number;
  /** Executions off any slot of their job (should not exist). */
  offSlot: number;
  /** Executions by status (success is the only good end). */
  statuses: Record<string, number>;
  /** Executions still queued or running when the bench looked. */
  unfinished: number;
  /** Executions per worker process (by the task's worker id). */
  byWorker: Record<string, number>;
  /**
   * The ticks that took the window's fires, told apart by their `now` (the executions' created_at): fires per
   * tick, and how long the tick took to take and dispatch them (its last task's created_at − its now).
   */
  ticks: { count: number; firesP50: number; firesMax: number; msP50: number; msP99: number; msMax: number; msPerFire: number };
  /** Task started − task created: the queue and the worker's pick-up. */
  queueWait: Lateness;
  /** Per `bucketMs` of slot time: started-late p50/p99, to see whether the lateness grows through the run. */
  timeline: Array<{ from: number; fires: number; takenP99: number; startedP50: number; startedP99: number }>;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function lateness(values: number[]): Lateness {
  const sorted = values.sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

/** Slots of one job in [from, to). */
export function slotsIn(slots: Slots, from: number, to: number): number[] {
  const out: number[] = [];
  let t = Math.ceil((from - slots.offsetMs) / slots.periodMs) * slots.periodMs + slots.offsetMs;
  for (; t < to; t += slots.periodMs) out.push(t);
  return out;
}

/** The schedule's executions whose slot is in [from, to), with their tasks. */
export async function fireRows(db: Db, from: number, to: number): Promise<FireRow[]> {
  return (await db('scheduler_executions as e')
    .leftJoin('tasks as t', 't.id', 'e.task_id')
    .where('e.trigger', 'schedule')
    .andWhere('e.scheduled_for', '>=', from)
    .andWhere('e.scheduled_for', '<', to)
    .select(
      'e.job_id', 'e.scheduled_for', 'e.status', 'e.created_at', 'e.task_id',
      't.created_at as task_created_at', 't.started_at as task_started_at', 't.ended_at as task_ended_at', 't.worker_id',
    )) as FireRow[];
}

/** True once every fire of the window has been taken (no enabled job is still due before `to`) and has ended. */
export async function windowSettled(db: Db, from: number, to: number): Promise<{ settled: boolean; due: number; unfinished: number }> {
  const dueRow = (await db('scheduler_jobs').where({ enabled: true }).andWhere('next_run', '<', to).count({ n: '*' }).first()) as { n: number | string };
  const openRow = (await db('scheduler_executions')
    .whereIn('status', ['queued', 'running'])
    .andWhere('scheduled_for', '>=', from)
    .andWhere('scheduled_for', '<', to)
    .count({ n: '*' })
    .first()) as { n: number | string };
  const due = Number(dueRow.n);
  const unfinished = Number(openRow.n);
  return { settled: due === 0 && unfinished === 0, due, unfinished };
}

export async function fireReport(db: Db, jobs: Slots[], from: number, to: number, bucketMs: number): Promise<FireReport> {
  const rows = await fireRows(db, from, to);
  const byJob = new Map<string, Map<number, number>>();
  for (const row of rows) {
    let fires = byJob.get(row.job_id);
    if (!fires) byJob.set(row.job_id, (fires = new Map()));
    const at = Number(row.scheduled_for);
    fires.set(at, (fires.get(at) ?? 0) + 1);
  }
  let expected = 0;
  let missingSlots = 0;
  let offSlot = 0;
  let duplicateExecutions = 0;
  for (const job of jobs) {
    const slots = slotsIn(job, from, to);
    expected += slots.length;
    const fires = byJob.get(job.jobId) ?? new Map<number, number>();
    for (const slot of slots) if (!fires.has(slot)) missingSlots++;
    const slotSet = new Set(slots);
    for (const [at, n] of fires) {
      if (!slotSet.has(at)) offSlot += n;
      duplicateExecutions += n - 1;
    }
  }

  // Two tasks whose args name the same execution would run it twice.
  const dupTasks = (await db('tasks')
    .where({ type: 'scheduler.run' })
    .groupBy('args')
    .havingRaw('count(*) > 1')
    .select('args', db.raw('count(*) as n'))) as Array<{ n: number | string }>;
  const duplicateTasks = dupTasks.reduce((acc, r) => acc + Number(r.n) - 1, 0);

  const statuses: Record<string, number> = {};
  const byWorker: Record<string, number> = {};
  const tick: number[] = [];
  const taken: number[] = [];
  const started: number[] = [];
  const ended: number[] = [];
  const wait: number[] = [];
  const ticks = new Map<number, { fires: number; last: number }>();
  const buckets = new Map<number, { taken: number[]; started: number[] }>();
  for (const row of rows) {
    statuses[row.status] = (statuses[row.status] ?? 0) + 1;
    if (row.worker_id) byWorker[row.worker_id] = (byWorker[row.worker_id] ?? 0) + 1;
    const slot = Number(row.scheduled_for);
    tick.push(Number(row.created_at) - slot);
    const t = num(row.task_created_at);
    const s = num(row.task_started_at);
    const e = num(row.task_ended_at);
    const bucketFrom = from + Math.floor((slot - from) / bucketMs) * bucketMs;
    let bucket = buckets.get(bucketFrom);
    if (!bucket) buckets.set(bucketFrom, (bucket = { taken: [], started: [] }));
    if (t !== null) {
      taken.push(t - slot);
      bucket.taken.push(t - slot);
    }
    if (s !== null) {
      started.push(s - slot);
      bucket.started.push(s - slot);
    }
    if (e !== null) ended.push(e - slot);
    if (t !== null && s !== null) wait.push(s - t);
    const at = Number(row.created_at);
    const tickOf = ticks.get(at) ?? { fires: 0, last: at };
    tickOf.fires++;
    if (t !== null) tickOf.last = Math.max(tickOf.last, t);
    ticks.set(at, tickOf);
  }
  const tickMs = [...ticks.entries()].map(([at, t]) => t.last - at).sort((a, b) => a - b);
  const tickFires = [...ticks.values()].map((t) => t.fires).sort((a, b) => a - b);
  const totalMs = tickMs.reduce((acc, n) => acc + n, 0);
  const timeline = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucketFrom, b]) => {
      const tk = b.taken.sort((x, y) => x - y);
      const st = b.started.sort((x, y) => x - y);
      return { from: bucketFrom, fires: Math.max(tk.length, st.length), takenP99: percentile(tk, 99), startedP50: percentile(st, 50), startedP99: percentile(st, 99) };
    });
  return {
    expected,
    executions: rows.length,
    tick: lateness(tick),
    taken: lateness(taken),
    started: lateness(started),
    ended: lateness(ended),
    duplicateExecutions,
    duplicateTasks,
    missingSlots,
    offSlot,
    statuses,
    unfinished: (statuses.queued ?? 0) + (statuses.running ?? 0),
    byWorker,
    ticks: {
      count: ticks.size,
      firesP50: percentile(tickFires, 50),
      firesMax: tickFires[tickFires.length - 1] ?? 0,
      msP50: percentile(tickMs, 50),
      msP99: percentile(tickMs, 99),
      msMax: tickMs[tickMs.length - 1] ?? NaN,
      msPerFire: totalMs / Math.max(1, rows.length),
    },
    queueWait: lateness(wait),
    timeline,
  };
}
