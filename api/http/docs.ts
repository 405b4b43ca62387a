import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Surface } from '../openapi/surface';

/** Swagger UI at /api-docs with every surface's document; the raw documents at /openapi/<name>.json. */
export function docsRouter(surfaces: Surface[]): Router {
  const router = express.Router();
  const byName = new Map(surfaces.map((s) => [s.name, s.document]));
  router.get('/openapi/:file', (req, res, next) => {
    const document = byName.get(req.params.file.replace(/\.json$/, ''));
    if (!document || !req.params.file.endsWith('.json')) return next();
    res.json(document);
  });
  const urls = surfaces.map((s) => ({ url: `/openapi/${s.name}.json`, name: s.name }));
  router.use('/api-docs', swaggerUi.serveFiles(undefined, { swaggerOptions: { urls } }), swaggerUi.setup(undefined, {
    explorer: true,
    swaggerOptions: { urls },
    customSiteTitle: 'Berth API',
  }));
  return router;
}
