import type { Db } from '../db/database';

/**
 * What `/metrics` reads from the database at scrape time: counts of things as they are now. The database is
 * the one place every process writes, so a gauge read from it is right whichever process is scraped and however
 * many workers run; a gauge kept in one process's memory would only know that process's tasks. Every read is an
 * aggregate over an indexed column or a small table, across every tenant (the operator's view).
 */
export interface MetricsRepo {
  /** Unfinished tasks per type: `pending` is the queue's depth, `active` what workers are running. */
  unfinishedTasks(): Promise<Array<{ type: string; state: 'pending' | 'active'; count: number }>>;
  /** Scheduler executions running now (the seed's `ofelia_jobs_running`). */
  runningExecutions(): Promise<number>;
  /** Scheduler jobs by where they came from and whether they are enabled. */
  schedulerJobs(): Promise<Array<{ origin: string; enabled: boolean; count: number }>>;
  /** Apps by run state and last health check (`unknown` before the first one). */
  apps(): Promise<Array<{ runState: string; health: string; count: number }>>;
}

/** An aggregate row: the grouped columns and `count`, whose type differs by engine (a string from PostgreSQL). */
type Row = Record<string, string | number | boolean | null>;

export class KnexMetricsRepo implements MetricsRepo {
  constructor(private readonly db: Db) {}

  async unfinishedTasks() {
    const rows: Row[] = await this.db('tasks').whereIn('state', ['pending', 'active']).select('type', 'state').count({ count: '*' }).groupBy('type', 'state');
    return rows.map((row) => ({ type: String(row.type), state: row.state as 'pending' | 'active', count: Number(row.count) }));
  }

  async runningExecutions() {
    const [row] = await this.db('scheduler_executions').where({ status: 'running' }).count({ count: '*' });
    return Number(row?.count ?? 0);
  }

  async schedulerJobs() {
    const rows: Row[] = await this.db('scheduler_jobs').select('origin', 'enabled').count({ count: '*' }).groupBy('origin', 'enabled');
    // SQLite hands booleans back as 0/1, PostgreSQL as true/false.
    return rows.map((row) => ({ origin: String(row.origin), enabled: row.enabled === true || Number(row.enabled) === 1, count: Number(row.count) }));
  }

  async apps() {
    const rows: Row[] = await this.db('apps').select('run_state', 'health').count({ count: '*' }).groupBy('run_state', 'health');
    return rows.map((row) => ({ runState: String(row.run_state), health: row.health === null ? 'unknown' : String(row.health), count: Number(row.count) }));
  }
}
