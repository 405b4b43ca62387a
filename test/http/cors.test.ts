import express from 'express';
import supertest from 'supertest';
import { cors } from '../../api/http/cors';
import { loadConfig } from '../../services/core/config';
import type { CorsConfig } from '../../services/core/http-edge-config';

function appWith(config: CorsConfig) {
  const app = express();
  app.use(cors(config));
  app.get('/api/jobs', (_req, res) => void res.json({ jobs: [] }));
  return supertest(app);
}

const configured = (env: Record<string, string>) => loadConfig({ BERTH_DATA_DIR: '/tmp/berth-cors', ...env }).edge.cors;

describe('CORS', () => {
  it('allows nothing by default: no CORS header on any answer, and a preflight is not answered', async () => {
    const api = appWith(configured({}));
    const res = await api.get('/api/jobs').set('Origin', 'https://evil.example').expect(200);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(res.headers.vary).toBeUndefined();
    const preflight = await api.options('/api/jobs').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'DELETE');
    expect(preflight.status).not.toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers an allowed origin’s preflight 204 with the configured methods, headers and max age', async () => {
    const api = appWith(
      configured({
        BERTH_SCHEDULER_CORS_ORIGINS: 'http://localhost:3000, https://app.example.com',
        BERTH_SCHEDULER_CORS_METHODS: 'get,post,put,delete',
        BERTH_SCHEDULER_CORS_HEADERS: 'Authorization,Content-Type',
        BERTH_SCHEDULER_CORS_MAX_AGE: '600',
      }),
    );
    const preflight = await api
      .options('/api/jobs')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'PUT')
      .set('Access-Control-Request-Headers', 'authorization')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST, PUT, DELETE');
    expect(preflight.headers['access-control-allow-headers']).toBe('Authorization, Content-Type');
    expect(preflight.headers['access-control-max-age']).toBe('600');
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    expect(preflight.headers.vary).toMatch(/Origin/);

    const res = await api.get('/api/jobs').set('Origin', 'http://localhost:3000').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(res.headers['access-control-expose-headers']).toMatch(/X-RateLimit-Remaining/);
  });

  it('gives an origin not on the list no CORS header, on its preflight or its requests', async () => {
    const api = appWith(configured({ BERTH_SCHEDULER_CORS_ORIGINS: 'https://app.example.com' }));
    const preflight = await api.options('/api/jobs').set('Origin', 'https://app.example.com.evil.example').set('Access-Control-Request-Method', 'GET').expect(204);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const res = await api.get('/api/jobs').set('Origin', 'http://app.example.com').expect(200);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(res.headers.vary).toMatch(/Origin/);
    // A request without Origin (curl, server to server) is not CORS at all.
    const plain = await api.get('/api/jobs').expect(200);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('takes * for any origin, answered with * and without credentials', async () => {
    const api = appWith(configured({ BERTH_SCHEDULER_CORS_ORIGINS: '*' }));
    const res = await api.get('/api/jobs').set('Origin', 'https://anywhere.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('refuses a setting that could never match a browser’s Origin, naming the variable', () => {
    expect(() => configured({ BERTH_SCHEDULER_CORS_ORIGINS: 'https://app.example.com/path' })).toThrow(/BERTH_SCHEDULER_CORS_ORIGINS/);
    expect(() => configured({ BERTH_SCHEDULER_CORS_ORIGINS: 'app.example.com' })).toThrow(/BERTH_SCHEDULER_CORS_ORIGINS/);
    expect(() => configured({ BERTH_SCHEDULER_CORS_MAX_AGE: 'a day' })).toThrow(/BERTH_SCHEDULER_CORS_MAX_AGE/);
  });
});

describe('edge settings', () => {
  it('has the seed’s defaults: 100 a minute, a burst of 10, metrics off', () => {
    const { edge } = loadConfig({ BERTH_DATA_DIR: '/tmp/berth-cors' });
    expect(edge.rateLimit).toEqual({ perMinute: 100, burst: 10 });
    expect(edge.metricsToken).toBeUndefined();
    expect(edge.cors.origins).toEqual([]);
  });

  it('reads the rate limit and refuses a short metrics token', () => {
    const { edge } = loadConfig({ BERTH_DATA_DIR: '/tmp/b', BERTH_SCHEDULER_RATE_LIMIT: '0', BERTH_SCHEDULER_RATE_BURST: '5', BERTH_METRICS_TOKEN: 'x'.repeat(32) });
    expect(edge.rateLimit).toEqual({ perMinute: 0, burst: 5 });
    expect(edge.metricsToken).toBe('x'.repeat(32));
    expect(() => loadConfig({ BERTH_DATA_DIR: '/tmp/b', BERTH_METRICS_TOKEN: 'short' })).toThrow(/BERTH_METRICS_TOKEN/);
    expect(() => loadConfig({ BERTH_DATA_DIR: '/tmp/b', BERTH_SCHEDULER_RATE_LIMIT: '-1' })).toThrow(/BERTH_SCHEDULER_RATE_LIMIT/);
  });
});
