import { Writable } from 'node:stream';
import { createLogger } from '../../services/core/logger';
import { activate, bearer, OWNER, startTestApp } from '../helpers/app';

describe('logs', () => {
  it('carry a request id and never a password or token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = await startTestApp({ logger: createLogger('debug', sink) });
    try {
      const { token } = await activate(app);
      await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200);
      await app.api.get(`/api/v1/profile?access_token=${token}`).expect(200);
      await app.api.get(`/api/v1/profile?access%5Ftoken=${token}`).expect(200);
      await app.api.get(`/api/v1/profile?%61ccess_token=${token}`).expect(200);
      await app.api.get(`/api/v1/profile?access_token[]=${token}`).expect(401);
      await app.api.get('/api/v1/profile').set(bearer(token)).set('X-Request-Id', 'trace-me-1').expect(200);
      const created = await app.api.post('/api/v1/tokens').set(bearer(token)).send({ name: 'x' }).expect(201);

      const all = lines.join('');
      expect(all).not.toContain(OWNER.password);
      expect(all).not.toContain(token);
      expect(all).not.toContain(created.body.accessToken);
      expect(all).toContain('access_token=[redacted]');
      const traced = lines.map((l) => JSON.parse(l)).find((l) => l.req?.id === 'trace-me-1');
      expect(traced).toMatchObject({ req: { method: 'GET', url: '/api/v1/profile' }, res: { statusCode: 200 } });
    } finally {
      await app.close();
    }
  });
});
