import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { MetricsRepo } from './metrics-repo';
import { DURATION_BUCKETS, type TaskStats, type TaskTotals } from './task-stats';

/** The scheduler's executions are tasks of this type (services/scheduler/scheduler-tasks.ts). */
const EXECUTION_TASK_TYPE = 'scheduler.run';

/** HTTP latency bounds, in seconds: API calls, not tasks. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Berth's Prometheus metrics, in a registry of their own (never prom-client's global one: two Berths in one
 * process, as in tests, must not share or collide). Three kinds of source, each where it is true for the box:
 *
 * - the seed's `ofelia_jobs_total`, `ofelia_jobs_failed_total`, `ofelia_job_duration_seconds` and Berth's
 *   `berth_tasks_settled_total` / `berth_task_duration_seconds`: cumulative counts kept in Redis by settle hooks
 *   (TaskStats: monotonic, shared by every process);
 * - `ofelia_jobs_running`, queue depth, running tasks, jobs and app health: gauges read from the database at
 *   scrape time (MetricsRepo: right whichever process is scraped);
 * - `berth_http_*`: this process's own requests, observed by the HTTP layer (a request is answered by the
 *   process that is scraped for it; Prometheus sums processes).
 *
 * No label carries a tenant or a job name: those would make series without bound and tell one tenant's
 * numbers to whoever reads the page.
 */
export class BerthMetrics {
  private readonly registry = new Registry();
  /** Reads several metrics share within one scrape (one HGETALL, one GROUP BY), started afresh by each render. */
  private scrape: { totals?: Promise<TaskTotals[]>; unfinished?: ReturnType<MetricsRepo['unfinishedTasks']> } = {};
  private readonly httpRequests: Counter<'operation' | 'method' | 'status'>;
  private readonly httpDuration: Histogram<'operation'>;

  constructor(private readonly deps: { repo: MetricsRepo; stats: TaskStats }) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'berth_http_requests_total',
      help: 'HTTP requests answered by this process, by OpenAPI operation (or route) and status',
      labelNames: ['operation', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by OpenAPI operation (or route)',
      labelNames: ['operation'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.defineStored();
    this.defineGauges(registers);
  }

  observeHttp(request: { operation: string; method: string; status: number; seconds: number }): void {
    this.httpRequests.inc({ operation: request.operation, method: request.method, status: String(request.status) });
    this.httpDuration.observe({ operation: request.operation }, request.seconds);
  }

  /** The exposition: the body for `GET /metrics` and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.scrape = {};
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Series from TaskStats: read once per scrape, shared by the metrics built from it. */
  private defineStored(): void {
    const totals = () => (this.scrape.totals ??= this.deps.stats.read());
    const executions = async () => (await totals()).filter((t) => t.type === EXECUTION_TASK_TYPE);
    const sum = (list: TaskTotals[], pick: (t: TaskTotals) => number) => list.reduce((acc, t) => acc + pick(t), 0);

    new Counter({
      name: 'ofelia_jobs_total',
      help: 'Total number of jobs executed',
      registers: [this.registry],
      async collect() {
        this.reset();
        this.inc(sum(await executions(), (t) => t.ran));
      },
    });
    new Counter({
      name: 'ofelia_jobs_failed_total',
      help: 'Total number of failed jobs',
      registers: [this.registry],
      async collect() {
        this.reset();
        this.inc(sum((await executions()).filter((t) => t.state !== 'success'), (t) => t.ran));
      },
    });
    new Counter({
      name: 'berth_tasks_settled_total',
      help: 'Tasks that ended, by type and how they ended (success, failed, stopped, timeout, crashed)',
      labelNames: ['type', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const t of await totals()) this.inc({ type: t.type, state: t.state }, t.settled);
      },
    });
    this.registry.registerMetric(
      storedHistogram('ofelia_job_duration_seconds', 'Job execution duration in seconds', async () => [{ labels: {}, totals: merge(await executions()) }]),
    );
    this.registry.registerMetric(
      storedHistogram('berth_task_duration_seconds', 'How long tasks ran, by type and how they ended', async () =>
        (await totals()).filter((t) => t.ran > 0).map((t) => ({ labels: { type: t.type, state: t.state }, totals: t })),
      ),
    );
  }

  private defineGauges(registers: Registry[]): void {
    const { repo } = this.deps;
    new Gauge({
      name: 'ofelia_jobs_running',
      help: 'Number of currently running jobs',
      registers,
      async collect() {
        this.set(await repo.runningExecutions());
      },
    });
    const readUnfinished = () => (this.scrape.unfinished ??= repo.unfinishedTasks());
    new Gauge({
      name: 'berth_task_queue_depth',
      help: 'Tasks waiting for a worker, by type',
      labelNames: ['type'],
      registers,
      async collect() {
        this.reset();
        for (const row of await readUnfinished()) if (row.state === 'pending') this.set({ type: row.type }, row.count);
      },
    });
    new Gauge({
      name: 'berth_tasks_running',
      help: 'Tasks a worker is running now, by type',
      labelNames: ['type'],
      registers,
      async collect() {
        this.reset();
        for (const row of await readUnfinished()) if (row.state === 'active') this.set({ type: row.type }, row.count);
      },
    });
    new Gauge({
      name: 'berth_scheduler_jobs',
      help: 'Scheduler jobs, by origin (api, config, docker-label, manifest) and whether they are enabled',
      labelNames: ['origin', 'enabled'],
      registers,
      async collect() {
        this.reset();
        for (const row of await repo.schedulerJobs()) this.set({ origin: row.origin, enabled: String(row.enabled) }, row.count);
      },
    });
    new Gauge({
      name: 'berth_apps',
      help: 'Apps by run state and last health check (unknown before the first)',
      labelNames: ['run_state', 'health'],
      registers,
      async collect() {
        this.reset();
        for (const row of await repo.apps()) this.set({ run_state: row.runState, health: row.health }, row.count);
      },
    });
  }
}

/** Adds totals of several label sets into one (the seed's duration histogram has no labels). */
function merge(list: TaskTotals[]): TaskTotals {
  const merged: TaskTotals = { type: '', state: 'success', settled: 0, ran: 0, sumSeconds: 0, buckets: new Array(DURATION_BUCKETS.length + 1).fill(0) };
  for (const t of list) {
    merged.settled += t.settled;
    merged.ran += t.ran;
    merged.sumSeconds += t.sumSeconds;
    t.buckets.forEach((count, i) => (merged.buckets[i] += count));
  }
  return merged;
}

/**
 * A histogram whose buckets are counted elsewhere (Redis). prom-client's Histogram can only observe one value
 * at a time; its registry renders anything with `get()` in the histogram shape, so this hands it the series.
 */
function storedHistogram(name: string, help: string, read: () => Promise<Array<{ labels: Record<string, string>; totals: TaskTotals }>>): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    collect: () => undefined,
    reset: () => undefined,
    async get() {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
      for (const { labels, totals } of await read()) {
        DURATION_BUCKETS.forEach((le, i) => values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: totals.buckets[i] }));
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: totals.ran });
        values.push({ metricName: `${name}_sum`, labels, value: totals.sumSeconds });
        values.push({ metricName: `${name}_count`, labels, value: totals.ran });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  return metric as unknown as Metric;
}
