import express, { type Express } from 'express';
import type { Logger } from '../../services/core/logger';
import type { Surface } from '../openapi/surface';
import { renderBoxError } from '../box/errors';
import { notFound } from '../../services/core/errors';
import { docsRouter } from './docs';
import { requestLog } from './request-log';

/**
 * The public HTTP listener: request log, every surface under its mounts, the docs, and a JSON 404 for
 * everything else. Each surface parses and validates its own requests and renders its own errors.
 */
export function createHttpApp(options: { surfaces: Surface[]; logger: Logger }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Behind the reverse proxy on the same machine, the client address comes from X-Forwarded-For.
  app.set('trust proxy', 'loopback');
  app.use(requestLog(options.logger));
  for (const surface of options.surfaces) app.use(surface.mounts, surface.router);
  app.use(docsRouter(options.surfaces));
  app.use((req, res) => renderBoxError(res, notFound(`No route for ${req.method} ${req.path}`)));
  return app;
}
