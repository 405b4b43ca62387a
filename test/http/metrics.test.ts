import { randomUUID } from 'node:crypto';
import supertest from 'supertest';
import { createHttpApp } from '../../api/http/app';
import { httpMetrics, metricsRoute } from '../../api/http/metrics';
import { createLogger } from '../../services/core/logger';
import { pingRedis } from '../../services/queue/redis';
import { BerthMetrics } from '../../services/metrics/berth-metrics';
import { KnexMetricsRepo } from '../../services/metrics/metrics-repo';
import { TaskStats } from '../../services/metrics/task-stats';
import type { Task } from '../../services/tasks/task-repo';
import { createTask, startTestApp, TASK_ENV, until, type TestApp } from '../helpers/app';

const TOKEN = 'metrics-token-0123456789abcdef';

let app: TestApp;
let metrics: BerthMetrics;
let stats: TaskStats;
let instanceId: string;

beforeAll(async () => {
  app = await startTestApp({ env: TASK_ENV, workers: true });
  const { berth } = app;
  instanceId = (await berth.store.instances.findDefault())!.id;
  await pingRedis(berth.redis);
  stats = new TaskStats({ redis: berth.redis, prefix: berth.config.redisPrefix, logger: berth.logger });
  metrics = new BerthMetrics({ repo: new KnexMetricsRepo(berth.db), stats });
  // The composition root (server/compose/edge.ts) already hooks every type's settlement to the same Redis hash.
});

afterAll(async () => {
  await app?.close();
});

/** One sample's value from the exposition, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const scrape = async () => (await metrics.render()).body;

describe('metrics from a real Berth', () => {
  it('renders the seed’s metric names with their types, in its own registry', async () => {
    const text = await scrape();
    expect(text).toContain('# TYPE ofelia_jobs_total counter');
    expect(text).toContain('# TYPE ofelia_jobs_failed_total counter');
    expect(text).toContain('# TYPE ofelia_jobs_running gauge');
    expect(text).toContain('# TYPE ofelia_job_duration_seconds histogram');
    expect(sample(text, 'ofelia_jobs_running')).toBe(0);
    expect(sample(text, 'ofelia_job_duration_seconds_bucket{le="+Inf"}')).toBe(0);
    // Two Berths in one process each have their own: nothing went to prom-client's global registry.
    const other = new BerthMetrics({ repo: new KnexMetricsRepo(app.berth.db), stats });
    expect((await other.render()).body).toContain('ofelia_jobs_total 0');
    expect((await metrics.render()).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts ended tasks by type and state through the settle hooks, with their durations', async () => {
    const ok = await createTask(app.berth, { instanceId, type: '_noop' });
    const failed = await createTask(app.berth, { instanceId, type: '_fail' });
    const text = await until(scrape, (t) =>
      sample(t, 'berth_tasks_settled_total{type="_noop",state="success"}') === 1 && sample(t, 'berth_tasks_settled_total{type="_fail",state="failed"}') === 1,
    );
    expect(sample(text, 'berth_task_duration_seconds_count{type="_noop",state="success"}')).toBe(1);
    expect(sample(text, 'berth_task_duration_seconds_bucket{type="_noop",state="success",le="+Inf"}')).toBe(1);
    expect(ok.id).not.toBe(failed.id);
  });

  it('reads running tasks and queue depth from the database, as any process would see them', async () => {
    const sleeping = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 60_000 } });
    await until(scrape, (t) => sample(t, 'berth_tasks_running{type="_sleep"}') === 1);
    await app.berth.tasks.stop(instanceId, sleeping.id);
    // The settle hook runs once the row has ended, so the two are waited for together.
    await until(scrape, (t) => sample(t, 'berth_tasks_running{type="_sleep"}') === undefined && sample(t, 'berth_tasks_settled_total{type="_sleep",state="stopped"}') === 1);

    // A row no worker has taken yet (written straight, never queued) is the queue's depth.
    await app.berth.store.tasks.insert({ instanceId, type: '_noop', args: {}, objectKey: null, exclusiveKey: null, createdBy: null, timeoutMs: 1000, now: Date.now() });
    expect(sample(await scrape(), 'berth_task_queue_depth{type="_noop"}')).toBe(1);
  });

  it('derives the seed’s counters and duration histogram from scheduler executions', async () => {
    const execution = (state: Task['state'], code: 'failed' | 'crashed' | null, seconds: number): Task => ({
      id: Math.floor(Math.random() * 1e9), instanceId, type: 'scheduler.run', args: {}, state, percent: 100, message: '',
      error: code ? { code, message: 'x' } : null, result: null, objectKey: null, createdBy: null, attempt: 1, timeoutMs: 1000,
      stopRequested: false, workerId: null, heartbeatAt: null, createdAt: 0, startedAt: 1000, endedAt: 1000 + seconds * 1000, ts: 0,
    });
    await stats.record(execution('success', null, 0.05));
    await stats.record(execution('success', null, 3));
    await stats.record(execution('error', 'failed', 0.4));
    await stats.record(execution('error', 'crashed', 5000));
    const text = await scrape();
    expect(sample(text, 'ofelia_jobs_total')).toBe(4);
    expect(sample(text, 'ofelia_jobs_failed_total')).toBe(2);
    expect(sample(text, 'ofelia_job_duration_seconds_bucket{le="0.1"}')).toBe(1);
    expect(sample(text, 'ofelia_job_duration_seconds_bucket{le="0.5"}')).toBe(2);
    expect(sample(text, 'ofelia_job_duration_seconds_bucket{le="5"}')).toBe(3);
    expect(sample(text, 'ofelia_job_duration_seconds_bucket{le="7200"}')).toBe(4);
    expect(sample(text, 'ofelia_job_duration_seconds_count')).toBe(4);
    expect(sample(text, 'ofelia_job_duration_seconds_sum')).toBeCloseTo(5003.45, 5);
    // Another process (a second TaskStats on its own view of Redis) reads the same totals.
    const elsewhere = new BerthMetrics({ repo: new KnexMetricsRepo(app.berth.db), stats: new TaskStats({ redis: app.berth.redis, prefix: app.berth.config.redisPrefix, logger: app.berth.logger }) });
    expect(sample((await elsewhere.render()).body, 'ofelia_jobs_total')).toBe(4);
  });
});

describe('GET /metrics and request metrics on the listener', () => {
  const listener = (token: string | undefined) =>
    supertest(
      createHttpApp({
        surfaces: app.berth.surfaces,
        logger: createLogger('silent'),
        before: [{ handler: httpMetrics(metrics, app.berth.surfaces) }],
        routes: [{ path: '/metrics', handler: metricsRoute({ metrics, token }) }],
      }),
    );

  it('is off without BERTH_METRICS_TOKEN: 404 like any unknown path', async () => {
    await listener(undefined).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });

  it('wants the token as a bearer, and answers the exposition with it', async () => {
    const api = listener(TOKEN);
    await api.get('/metrics').expect(401).expect('WWW-Authenticate', /Bearer/);
    await api.get('/metrics').set('Authorization', `Bearer ${TOKEN}x`).expect(401);
    await api.get('/metrics').set('Authorization', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`).expect(401);
    const res = await api.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200).expect('Content-Type', /text\/plain/);
    expect(res.text).toContain('# HELP ofelia_jobs_total Total number of jobs executed');
  });

  it('labels requests by operationId or route, never by raw path', async () => {
    const api = listener(TOKEN);
    await api.get('/health/liveness').expect(200);
    const probe = `/no/such/${randomUUID()}`;
    await api.get(probe).expect(404);
    const text = (await api.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;
    const operation = app.berth.surfaces.flatMap((s) => s.backend.getOperations()).find((op) => op.path === '/liveness' || op.path.endsWith('/liveness'))!.operationId;
    expect(sample(text, `berth_http_requests_total{operation="${operation}",method="GET",status="200"}`)).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'berth_http_requests_total{operation="unmatched",method="GET",status="404"}')).toBeGreaterThanOrEqual(1);
    // Routes outside the surfaces are labelled by their Express route (the refusals of the test before).
    expect(sample(text, 'berth_http_requests_total{operation="/metrics",method="GET",status="401"}')).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain(probe);
  });
});
