import { loadDocument, type OpenApiDocument } from '../openapi/document';
import { createSurface, type Surface } from '../openapi/surface';
import { AccessRules } from '../box/access-rules';
import { createAuthenticator } from '../box/auth';
import { renderSchedulerError } from './errors';
import type { SchedulerHandlers } from './handler-types';
import { authHandlers } from './handlers/auth';
import { configHandlers } from './handlers/config';
import { executionHandlers } from './handlers/executions';
import { healthHandlers } from './handlers/health';
import { jobHandlers } from './handlers/jobs';
import { schedulerHandlers } from './handlers/scheduler';
import type { SchedulerServices } from './services';

export type { SchedulerServices } from './services';

/**
 * Where the scheduler surface answers: Ofelia's paths under `/api` (each its own prefix, so nothing here reaches
 * the box API's `/api/v1`, nor `/api/ws` and the other `/api/*` routes other modules add) and `/health`.
 */
export const SCHEDULER_MOUNTS = ['/api/login', '/api/refresh', '/api/jobs', '/api/job', '/api/execution', '/api/scheduler', '/api/config', '/health'];

/**
 * The scheduler surface (seed 000, openapi/scheduler.yaml). Tokens, roles and read-only scopes work as in the box
 * API: the same authenticator, and each operation's `x-berth-access` in the document (start-up fails without one).
 */
export async function createSchedulerSurface(
  services: SchedulerServices,
  options: { bodyLimit: number; document?: OpenApiDocument },
): Promise<Surface> {
  const document = options.document ?? loadDocument('scheduler');
  const access = AccessRules.fromDocument(document);
  const authenticate = createAuthenticator(services.tokens);
  const handlers: SchedulerHandlers = {
    ...healthHandlers(services.health),
    ...authHandlers(services),
    ...jobHandlers(services),
    ...executionHandlers(services),
    ...schedulerHandlers(services),
    ...configHandlers(services),
  };
  return createSurface({
    name: 'scheduler',
    mounts: SCHEDULER_MOUNTS,
    document,
    renderError: renderSchedulerError,
    bodyLimit: options.bodyLimit,
    handlers,
    security: {
      // A token works only while its tenant serves requests (not blocked, not being deleted), as in the box API.
      authenticate: async (req, res) => {
        const principal = await authenticate(req, res);
        await services.instances.assertOpen(principal.instanceId);
        return principal;
      },
      authorize: (operation, principal) => access.authorize(operation, principal),
    },
  });
}
