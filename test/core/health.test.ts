import { startTestApp, type TestApp } from '../helpers/app';

describe('health', () => {
  let app: TestApp | undefined;
  afterEach(() => app?.close());

  it('answers liveness', async () => {
    app = await startTestApp();
    const res = await app.api.get('/health/liveness').expect(200);
    expect(res.body.status).toBe('healthy');
  });

  it('is ready when the database, Redis and the Docker engine answer', async () => {
    if (!process.env.DOCKER_HOST) throw new Error('DOCKER_HOST must point at a running engine (bash scripts/dockerd.sh start)');
    app = await startTestApp();
    const res = await app.api.get('/health/readiness').expect(200);
    expect(res.body).toEqual({ ready: true, scheduler: 'running', database: 'connected', redis: 'connected', docker: 'connected', backups: 'ok' });
  });

  it('answers 503 naming what is missing when Docker and Redis are away', async () => {
    app = await startTestApp({ env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, redisUrl: 'redis://127.0.0.1:1' });
    const res = await app.api.get('/health/readiness').expect(503);
    expect(res.body).toMatchObject({ ready: false, database: 'connected', redis: 'unavailable', docker: 'unavailable' });
  });

  it('renders scheduler-surface errors in the Ofelia format', async () => {
    app = await startTestApp();
    const res = await app.api.post('/health/liveness').expect(405);
    expect(res.body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
  });
});
