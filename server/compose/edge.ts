import { cors } from '../../api/http/cors';
import { SchedulerEventSocket } from '../../api/http/event-socket';
import { httpMetrics, metricsRoute } from '../../api/http/metrics';
import { rateLimit, tokenOrAddress } from '../../api/http/rate-limit';
import type { Surface } from '../../api/openapi/surface';
import { renderSchedulerError } from '../../api/scheduler/errors';
import { BerthMetrics } from '../../services/metrics/berth-metrics';
import { KnexMetricsRepo } from '../../services/metrics/metrics-repo';
import { TaskStats } from '../../services/metrics/task-stats';
import { RedisRateLimiter } from '../../services/ratelimit/rate-limiter';
import type { Core } from './core';
import type { Identity } from './identity';
import type { Scheduler } from './scheduler';
import type { Tasks } from './tasks';

export type Edge = ReturnType<typeof composeEdge>;

/** The scheduler API's own paths (seed 000): rate limits and CORS apply to them, not to the box API's /api/v1. */
export const SCHEDULER_API_PATHS = ['/api/login', '/api/refresh', '/api/jobs', '/api/job', '/api/execution', '/api/scheduler', '/api/config', '/api/ws'];

/**
 * What stands in front of the surfaces on the main listener: Prometheus metrics (`/metrics`, behind
 * BERTH_METRICS_TOKEN; task counts fed by a settle hook on every task type, so it is composed after every module
 * added its types), the scheduler API's Redis-shared rate limit and CORS policy, and its event socket (`/api/ws`).
 */
export function composeEdge({ config, db, redis, clock, logger }: Core, { tokens }: Identity, { types }: Tasks, { schedulerEvents }: Scheduler) {
  const stats = new TaskStats({ redis, prefix: config.redisPrefix, logger });
  for (const type of types.all()) types.onSettled(type, ({ task }) => stats.record(task));
  const metrics = new BerthMetrics({ repo: new KnexMetricsRepo(db), stats });
  const limiter = new RedisRateLimiter({ redis, prefix: config.redisPrefix, clock, limits: config.edge.rateLimit });
  const authenticate = (secret: string) => tokens.authenticate(secret);
  const socket = new SchedulerEventSocket({ events: schedulerEvents, authenticate, logger });
  return {
    metrics,
    eventSocket: socket,
    /** The HTTP app's `before` and `routes` (api/http/app.ts), given the surfaces whose operations label requests. */
    http(surfaces: Surface[]) {
      return {
        before: [
          { handler: httpMetrics(metrics, surfaces) },
          { mounts: SCHEDULER_API_PATHS, handler: cors(config.edge.cors) },
          { mounts: SCHEDULER_API_PATHS, handler: rateLimit({ limiter, clientKey: tokenOrAddress(authenticate), render: renderSchedulerError, logger }) },
        ],
        routes: [
          { path: '/metrics', handler: metricsRoute({ metrics, token: config.edge.metricsToken }) },
          { path: '/api/ws', handler: socket.handler(renderSchedulerError) },
        ],
      };
    },
    close: () => socket.close(),
  };
}
