import type { HealthService } from '../../../services/health/health-service';
import type { SchedulerHandlers } from '../handler-types';

export function healthHandlers(health: HealthService) {
  return {
    liveness: async () => ({ status: 200, body: health.liveness() }),
    readiness: async () => {
      const { ready, checks, reports } = await health.readiness();
      return { status: ready ? 200 : 503, body: { ready, scheduler: 'n/a', ...checks, ...reports } };
    },
  } satisfies Partial<SchedulerHandlers>;
}
