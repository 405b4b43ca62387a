import type { HealthService } from '../../services/health/health-service';
import { loadDocument } from '../openapi/document';
import { createSurface, type Surface } from '../openapi/surface';
import { renderSchedulerError } from './errors';
import type { SchedulerHandlers } from './handler-types';
import { healthHandlers } from './handlers/health';

/**
 * The scheduler surface (seed 000, openapi/scheduler.yaml). Today it holds the health routes; jobs,
 * executions and metrics join it with the scheduler.
 */
export interface SchedulerServices {
  health: HealthService;
}

export async function createSchedulerSurface(services: SchedulerServices, options: { bodyLimit: number }): Promise<Surface> {
  const handlers: SchedulerHandlers = { ...healthHandlers(services.health) };
  return createSurface({
    name: 'scheduler',
    mounts: ['/health'],
    document: loadDocument('scheduler'),
    renderError: renderSchedulerError,
    bodyLimit: options.bodyLimit,
    handlers,
  });
}
