import supertest from 'supertest';
import WebSocket from 'ws';
import { activate, bearer, createUserWithToken, startTestApp, type TestApp } from '../helpers/app';
import { listen } from '../helpers/apps';
import { BUSYBOX } from '../helpers/scheduler-jobs';

/**
 * What stands in front of the scheduler API on a real Berth: its rate limit (the seed's headers and 429, shared
 * through Redis, never on the box API), CORS as configured, `/metrics` behind its token, and `/api/ws` events for
 * the token's tenant.
 */
describe('the scheduler API edge', () => {
  let app: TestApp;
  let token: string;
  const origin = 'https://dash.example.com';
  const metricsToken = 'metrics-token-0123456789';

  beforeAll(async () => {
    app = await startTestApp({
      env: { BERTH_SCHEDULER_RATE_LIMIT: '5', BERTH_SCHEDULER_RATE_BURST: '100', BERTH_SCHEDULER_CORS_ORIGINS: origin, BERTH_METRICS_TOKEN: metricsToken },
      workers: false,
    });
    token = (await activate(app)).token;
  });
  afterAll(() => app.close());

  it('limits a client to its allowance with the seed headers, then 429 with Retry-After; the box API is not limited', async () => {
    const first = await app.api.get('/api/jobs').set(bearer(token)).expect(200);
    expect(first.headers['x-ratelimit-limit']).toBe('5');
    expect(first.headers['x-ratelimit-remaining']).toBe('4');
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000 - 1);
    for (let i = 0; i < 4; i++) await app.api.get('/api/jobs').set(bearer(token)).expect(200);
    const refused = await app.api.get('/api/jobs').set(bearer(token)).expect(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    for (let i = 0; i < 8; i++) await app.api.get('/api/v1/profile').set(bearer(token)).expect(200);
  });

  it('answers CORS for the configured origin only', async () => {
    // Preflights are answered in front of the surfaces: no operation of the document answers OPTIONS.
    const raw = supertest(app.berth.http);
    const preflight = await raw.options('/api/jobs').set('Origin', origin).set('Access-Control-Request-Method', 'GET');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    const other = await raw.options('/api/jobs').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'GET');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves /metrics only with its token, with the seed names', async () => {
    await app.api.get('/metrics').expect(401);
    const res = await app.api.get('/metrics').set(bearer(metricsToken)).expect(200);
    for (const name of ['ofelia_jobs_total', 'ofelia_jobs_failed_total', 'ofelia_jobs_running', 'ofelia_job_duration_seconds']) expect(res.text).toContain(name);
  });

  it("sends the tenant's job events over /api/ws", async () => {
    const server = await listen(app);
    try {
      // Another admin's token: the owner's spent its rate allowance above.
      const admin = await createUserWithToken(app, 'admin');
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`, { headers: bearer(admin.token) });
      const first = new Promise<{ type: string; payload: { job: string } }>((resolve, reject) => {
        ws.on('message', (data) => resolve(JSON.parse(String(data))));
        ws.on('error', reject);
      });
      await new Promise((resolve, reject) => ws.on('open', resolve).on('error', reject));
      const owner = app.berth.scheduler.schedulerJobs;
      const instanceId = (await app.berth.store.instances.findDefault())!.id;
      await owner.put({ instanceId, userId: null, tokenId: null, ip: null }, 'announced', { type: 'run', image: BUSYBOX, schedule: '@daily' });
      expect(await first).toMatchObject({ type: 'job.added', payload: { job: 'announced' } });
      ws.close();
    } finally {
      await server.close();
    }
  });
});
