import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import type { BerthError } from '../../services/core/errors';
import type { HealthService } from '../../services/health/health-service';
import { loadDocument } from '../openapi/document';
import { createSurface, type Surface } from '../openapi/surface';

/** Ofelia's error body: `{error: {code, message, details}}`. */
export function renderSchedulerError(res: Response, error: BerthError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const code = error.code === 'VALIDATION_ERROR' || error.code === 'BAD_REQUEST' ? 'VALIDATION_ERROR' : error.code;
  res.status(error.status).json({
    error: { code, message: error.message, details: { ...error.details, status: STATUS_CODES[error.status] } },
  });
}

/**
 * The scheduler surface (seed 000). Today it holds the health routes; jobs, executions and metrics join it
 * with the scheduler.
 */
export async function createSchedulerSurface(health: HealthService, options: { bodyLimit: number }): Promise<Surface> {
  return createSurface({
    name: 'scheduler',
    mounts: ['/health'],
    document: loadDocument('scheduler'),
    renderError: renderSchedulerError,
    bodyLimit: options.bodyLimit,
    handlers: {
      liveness: async () => ({ status: 200, body: health.liveness() }),
      readiness: async () => {
        const { ready, checks, reports } = await health.readiness();
        return { status: ready ? 200 : 503, body: { ready, scheduler: 'n/a', ...checks, ...reports } };
      },
    },
  });
}
