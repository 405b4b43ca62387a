import { loadDocument } from '../openapi/document';
import { createSurface, type Surface } from '../openapi/surface';
import { createAdminAuthenticator } from './auth';
import { renderAdminError } from './errors';
import type { AdminHandlers } from './handler-types';
import { instanceHandlers } from './handlers/instances';
import { toolHandlers } from './handlers/tools';
import type { AdminServices } from './services';

/** The admin API: tenant management for operators, on its own listener (openapi/admin.yaml). */
export async function createAdminSurface(services: AdminServices, options: { bodyLimit: number }): Promise<Surface> {
  const authenticate = createAdminAuthenticator(services.passphrase, services.throttle);
  const handlers: AdminHandlers = { ...instanceHandlers(services), ...toolHandlers(services) };
  return createSurface({
    name: 'admin',
    mounts: ['/'],
    document: loadDocument('admin'),
    handlers,
    renderError: renderAdminError,
    bodyLimit: options.bodyLimit,
    // One credential for everything: once the passphrase checks out, every operation is allowed.
    security: { authenticate: (req) => authenticate(req), authorize: () => undefined },
  });
}
