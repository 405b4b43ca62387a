import type { Request, Response } from 'express';
import type { Principal } from '../../services/auth/principal';
import { loadDocument, type OpenApiDocument } from '../openapi/document';
import { createSurface, type Surface } from '../openapi/surface';
import { AccessRules } from './access-rules';
import { createAuthenticator } from './auth';
import { renderBoxError } from './errors';
import { cloudronHandlers } from './handlers/cloudron';
import { profileHandlers } from './handlers/profile';
import { tokenHandlers } from './handlers/tokens';
import { taskHandlers } from './handlers/tasks';
import { userHandlers } from './handlers/users';
import { groupHandlers } from './handlers/groups';
import { eventlogHandlers } from './handlers/eventlog';
import { notificationHandlers } from './handlers/notifications';
import { settingsHandlers } from './handlers/settings';
import { appHandlers } from './handlers/apps';
import { catalogueHandlers } from './handlers/catalogue';
import { domainHandlers } from './handlers/domains';
import { backupHandlers } from './handlers/backups';
import type { BoxHandlers } from './handler-types';
import type { BoxServices } from './services';

/** A token works only while its tenant serves requests (not blocked, not being deleted). */
function openTenantsOnly(services: BoxServices, authenticate: (req: Request, res: Response) => Promise<Principal>) {
  return async (req: Request, res: Response) => {
    const principal = await authenticate(req, res);
    await services.instances.assertOpen(principal.instanceId);
    return principal;
  };
}

export interface BoxSurfaceOptions {
  bodyLimit: number;
  /** openapi/box.yaml unless given (tests hand in a changed copy). */
  document?: OpenApiDocument;
}

/**
 * The box API, `/api/v1`: Cloudron-compatible, tenant-facing. Each operation's access rule is its
 * `x-berth-access` in the document; construction throws before anything else when one is missing.
 */
export async function createBoxSurface(services: BoxServices, options: BoxSurfaceOptions): Promise<Surface> {
  const document = options.document ?? loadDocument('box');
  const access = AccessRules.fromDocument(document);
  const handlers: BoxHandlers = {
    ...cloudronHandlers(services),
    ...profileHandlers(services),
    ...tokenHandlers(services),
    ...taskHandlers(services),
    ...userHandlers(services),
    ...groupHandlers(services),
    ...eventlogHandlers(services),
    ...notificationHandlers(services),
    ...settingsHandlers(services),
    ...appHandlers(services),
    ...catalogueHandlers(services),
    ...domainHandlers(services),
    ...backupHandlers(services),
  };
  return createSurface({
    name: 'box',
    mounts: ['/api/v1'],
    document,
    handlers,
    renderError: renderBoxError,
    bodyLimit: options.bodyLimit,
    security: {
      authenticate: openTenantsOnly(services, createAuthenticator(services.tokens)),
      authorize: (operation, principal) => access.authorize(operation, principal),
    },
  });
}
