import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { BerthMetrics } from '../../services/metrics/berth-metrics';
import type { Surface } from '../openapi/surface';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Counts every request of the listener by what it asked for: the OpenAPI operationId its surface matched
 * (`getJob`, never `/api/job/backup-db`), else the Express route that answered (`/metrics`), else `unmatched`.
 * Labelling by raw path would make one series per job name, execution id and scanner probe: without bound.
 * Mount it before the surfaces so it sees their answers, errors included.
 */
export function httpMetrics(metrics: Pick<BerthMetrics, 'observeHttp'>, surfaces: Surface[]): RequestHandler {
  const operationOf = operationResolver(surfaces);
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      const path = pathOf(req.originalUrl);
      const routed = req.route?.path;
      const operation = operationOf(method, path) ?? (typeof routed === 'string' ? `${req.baseUrl}${routed}` : 'unmatched');
      metrics.observeHttp({ operation, method, status: res.statusCode, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
    next();
  };
}

/** The operationId a surface's document gives this method and path, if any (openapi-backend's own matcher). */
export function operationResolver(surfaces: Surface[]): (method: string, path: string) => string | undefined {
  return (method, path) => {
    for (const surface of surfaces) {
      if (!surface.mounts.some((mount) => mount === '/' || path === mount || path.startsWith(`${mount}/`))) continue;
      try {
        // HEAD is answered as GET by the surfaces.
        const operation = surface.backend.router.matchOperation({ method: method === 'HEAD' ? 'get' : method.toLowerCase(), path, headers: {} });
        if (operation?.operationId) return operation.operationId;
      } catch {
        // Not this surface's.
      }
    }
    return undefined;
  };
}

function pathOf(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? url : url.slice(0, at);
}

/**
 * `GET /metrics` on the main listener, behind `Authorization: Bearer <BERTH_METRICS_TOKEN>`. Off by default:
 * without a token configured it answers 404 as for any unknown path, because the page tells whoever can reach
 * the listener how many tenants' jobs run, fail and queue, and the main listener faces the Internet. A token
 * (rather than a second listener) keeps one port to open for a Prometheus that scrapes from elsewhere.
 * The token is compared in constant time (over digests, so its length does not show either).
 */
export function metricsRoute(options: { metrics: Pick<BerthMetrics, 'render'>; token: string | undefined }): RequestHandler {
  const expected = options.token === undefined ? undefined : digest(options.token);
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!expected) return next();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      res.status(401).type('text/plain').send('Unauthorized\n');
      return;
    }
    try {
      const { contentType, body } = await options.metrics.render();
      res.status(200).setHeader('Content-Type', contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.send(body);
    } catch (err) {
      // A partial page would show counters dropping to zero; a failed scrape is what Prometheus expects instead.
      req.log?.error({ err }, 'metrics scrape failed');
      res.status(500).type('text/plain').send('Metrics are unavailable\n');
    }
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
