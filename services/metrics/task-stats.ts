import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger';
import type { Task } from '../tasks/task-repo';

/** Upper bounds of the duration buckets, in seconds: tasks last from milliseconds (a no-op job) to hours (a backup). */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200];

/** How a task ended, as a label: `success`, or its error code (`failed`, `stopped`, `timeout`, `crashed`). */
export type SettledState = 'success' | 'failed' | 'stopped' | 'timeout' | 'crashed';

export interface TaskTotals {
  type: string;
  state: SettledState;
  /** Every ended task, including those stopped before they started. */
  settled: number;
  /** Of those, the ones that ran (had a start): the histogram's count. */
  ran: number;
  sumSeconds: number;
  /** Cumulative counts per DURATION_BUCKETS bound (`le`), then +Inf (= ran). */
  buckets: number[];
}

/**
 * Cumulative counts and durations of ended tasks, kept in Redis and fed by settle hooks. Not the database: tasks
 * and executions are deleted by retention and history limits, so counts read from rows would go down, and
 * Prometheus takes any drop in a counter for a restart. Not process memory either: a task ends in whichever
 * process ran it (often a `berth worker`, which has no listener to scrape), while `/metrics` is answered by an
 * API process; one hash in Redis is the same for every process. The bucket layout is in the key, so a change
 * of DURATION_BUCKETS starts new counts instead of misreading old ones.
 */
export class TaskStats {
  private readonly key: string;

  constructor(private readonly deps: { redis: Redis; prefix: string; logger: Logger }) {
    this.key = `${deps.prefix}:metrics:tasks:${DURATION_BUCKETS.join('_')}`;
  }

  /** For `catalogue.onSettled(TYPE, ({ task }) => stats.record(task))`. Best-effort: never throws. */
  async record(task: Task): Promise<void> {
    const state = settledState(task);
    const id = `${task.type}|${state}`;
    const multi = this.deps.redis.multi().hincrby(this.key, `n|${id}`, 1);
    if (task.startedAt !== null) {
      const seconds = Math.max(0, ((task.endedAt ?? task.startedAt) - task.startedAt) / 1000);
      const bucket = DURATION_BUCKETS.findIndex((le) => seconds <= le);
      multi
        .hincrby(this.key, `c|${id}`, 1)
        .hincrbyfloat(this.key, `s|${id}`, seconds)
        .hincrby(this.key, `b|${id}|${bucket < 0 ? DURATION_BUCKETS.length : bucket}`, 1);
    }
    try {
      await multi.exec();
    } catch (err) {
      // A metric lost while Redis is away is not worth failing a task's settle for.
      this.deps.logger.warn({ err: (err as Error).message, taskId: task.id }, 'task metrics not recorded');
    }
  }

  async read(): Promise<TaskTotals[]> {
    const fields = await this.deps.redis.hgetall(this.key);
    const totals = new Map<string, TaskTotals>();
    const entry = (type: string, state: SettledState) => {
      const id = `${type}|${state}`;
      let found = totals.get(id);
      if (!found) {
        found = { type, state, settled: 0, ran: 0, sumSeconds: 0, buckets: new Array(DURATION_BUCKETS.length + 1).fill(0) };
        totals.set(id, found);
      }
      return found;
    };
    for (const [field, raw] of Object.entries(fields)) {
      const [kind, type, state, bucket] = field.split('|');
      const totalsOf = entry(type, state as SettledState);
      const value = Number(raw);
      if (kind === 'n') totalsOf.settled = value;
      else if (kind === 'c') totalsOf.ran = value;
      else if (kind === 's') totalsOf.sumSeconds = value;
      else if (kind === 'b') totalsOf.buckets[Number(bucket)] = value;
    }
    for (const totalsOf of totals.values()) {
      // Stored per bucket; Prometheus wants each bound to count everything at or below it.
      for (let i = 1; i < totalsOf.buckets.length; i++) totalsOf.buckets[i] += totalsOf.buckets[i - 1];
    }
    return [...totals.values()].sort((a, b) => a.type.localeCompare(b.type) || a.state.localeCompare(b.state));
  }
}

export function settledState(task: Pick<Task, 'state' | 'error'>): SettledState {
  if (task.state === 'success') return 'success';
  return task.error?.code ?? 'failed';
}
