import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { CorsConfig } from '../../services/core/http-edge-config';

/** What a page's script may read from an answer besides the basic headers: the seed's rate-limit headers, the request id. */
const EXPOSED = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After', 'X-Request-Id'];

/**
 * The seed's CORS section (allowed origins, methods, headers, max age), hand-written because the policy is
 * small and exact: with no origins configured this does nothing at all (no header on any answer), so a page
 * on another site can never read the API unless the operator names it. An allowed origin gets its own origin
 * back (or `*` when the operator configured `*`), never credentials: the API takes bearer tokens, not cookies.
 * An origin not on the list gets no CORS header, and its preflight a bare 204, which the browser refuses.
 */
export function cors(config: CorsConfig): RequestHandler {
  const any = config.origins.includes('*');
  const origins = new Set(config.origins);
  const methods = config.methods.join(', ');
  const headers = config.headers.join(', ');
  return (req: Request, res: Response, next: NextFunction) => {
    if (!origins.size) return next();
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    // Caches must not hand one origin's answer to another, allowed or not.
    res.vary('Origin');
    const allowed = origin !== undefined && (any || origins.has(origin));
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED.join(', '));
    }
    if (!preflight) return next();
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', methods);
      res.setHeader('Access-Control-Allow-Headers', headers);
      res.setHeader('Access-Control-Max-Age', String(config.maxAgeSecs));
    }
    res.status(204).end();
  };
}
