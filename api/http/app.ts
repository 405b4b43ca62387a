import express, { type Express, type RequestHandler, type Response } from 'express';
import type { Logger } from '../../services/core/logger';
import type { Surface } from '../openapi/surface';
import { renderBoxError } from '../box/errors';
import { notFound, type BerthError } from '../../services/core/errors';
import { docsRouter } from './docs';
import { requestLog } from './request-log';

/**
 * The public HTTP listener: request log, every surface under its mounts, the docs, and a JSON 404 for
 * everything else. Each surface parses and validates its own requests and renders its own errors.
 */
export function createHttpApp(options: {
  surfaces: Surface[];
  logger: Logger;
  /** How this listener renders a 404 for a path no surface knows (the box API's format by default). */
  renderError?: (res: Response, error: BerthError) => void;
  /** Serve Swagger UI and the documents (the public listener does). */
  docs?: boolean;
  /**
   * Run before every surface, in order, each on its mounts or on every path: request metrics (metrics.ts),
   * CORS (cors.ts), rate limits (rate-limit.ts).
   */
  before?: Array<{ mounts?: string[]; handler: RequestHandler }>;
  /** GET routes outside the surfaces (`/metrics`, `/api/ws`), matched before them. */
  routes?: Array<{ path: string; handler: RequestHandler }>;
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Behind the reverse proxy on the same machine, the client address comes from X-Forwarded-For.
  app.set('trust proxy', 'loopback');
  app.use(requestLog(options.logger));
  for (const { mounts, handler } of options.before ?? []) {
    if (mounts) app.use(mounts, handler);
    else app.use(handler);
  }
  for (const { path, handler } of options.routes ?? []) app.get(path, handler);
  for (const surface of options.surfaces) {
    // Express 5 matches nothing for the mount list ['/']: a surface at the root is mounted bare.
    if (surface.mounts.includes('/')) app.use(surface.router);
    else app.use(surface.mounts, surface.router);
  }
  if (options.docs !== false) app.use(docsRouter(options.surfaces));
  const render = options.renderError ?? renderBoxError;
  app.use((req, res) => render(res, notFound(`No route for ${req.method} ${req.path}`)));
  return app;
}
