/**
 * autocannon on its own worker thread.
 *
 * The servers under test run on the main thread; the load generator runs here, on a second thread of the same
 * process, so it gets the machine's other core instead of stealing event-loop time from the server it measures.
 * The main thread talks to the worker by message: one `run` at a time, answered with a plain-object summary.
 *
 * This one file is both sides: imported on the main thread it exports `LoadGenerator`; started as a worker
 * (with the marker in `workerData`) it only loads autocannon and waits for work.
 */
import { once } from 'node:events';
import { createHistogram } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';

const ROLE = 'berth-bench-loadgen';

export interface LoadSpec {
  url: string;
  headers?: Record<string, string>;
  /** Seconds. */
  duration: number;
  connections: number;
}

export interface LoadResult {
  /** Completed requests per second over the whole run. */
  rps: number;
  total: number;
  /** Seconds, as autocannon measured them. */
  durationS: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Share of the run the load generator's own event loop was busy (0–1): near 1 means it may be the bottleneck. */
  loadgenBusy: number;
}

type WorkerReply = { id: number; result: Omit<LoadResult, 'loadgenBusy'> } | { id: number; error: string };

/** The main thread's handle on the worker. */
export class LoadGenerator {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: Omit<LoadResult, 'loadgenBusy'>) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WorkerReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(`load generator: ${reply.error}`));
      else waiter.resolve(reply.result);
    });
    const failAll = (err: Error) => {
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`load generator thread exited (code ${code})`)));
  }

  static async start(): Promise<LoadGenerator> {
    const worker = new Worker(__filename, { workerData: { role: ROLE } });
    await once(worker, 'online');
    return new LoadGenerator(worker);
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    const id = this.nextId++;
    const before = this.worker.performance.eventLoopUtilization();
    const result = await new Promise<Omit<LoadResult, 'loadgenBusy'>>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, spec });
    });
    const busy = this.worker.performance.eventLoopUtilization(before).utilization;
    return { ...result, loadgenBusy: busy };
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * autocannon's own latency histogram has 1 ms resolution, too coarse for sub-millisecond answers, so latencies are
 * also recorded here, in microseconds, from each 2xx response's float-millisecond duration.
 * On a worker thread autocannon hands back unaggregated results; `aggregateResult` (public, untyped) folds them.
 */
const aggregateResult = (autocannon as unknown as { aggregateResult(results: unknown[], opts: object): autocannon.Result }).aggregateResult;

/** Worker side: one autocannon run per message. */
function serveRuns(): void {
  const port = parentPort!;
  port.on('message', ({ id, spec }: { id: number; spec: LoadSpec }) => {
    const micros = createHistogram();
    const opts = { url: spec.url, headers: spec.headers, duration: spec.duration, connections: spec.connections, pipelining: 1 };
    const instance = autocannon(opts, (err: unknown, raw: unknown) => {
      if (err) {
        port.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
        return;
      }
      const r = aggregateResult([raw], opts);
      const ms = (p: number) => (micros.count > 0 ? micros.percentile(p) / 1000 : 0);
      port.postMessage({
        id,
        result: {
          rps: r.duration > 0 ? r.requests.total / r.duration : 0,
          total: r.requests.total,
          durationS: r.duration,
          p50: ms(50),
          p99: ms(99),
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
        },
      } satisfies WorkerReply);
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) micros.record(Math.max(1, Math.round(responseTime * 1000)));
    });
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) serveRuns();
