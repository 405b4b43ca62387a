import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import WebSocket from 'ws';
import { SchedulerEventSocket, type EventFeed } from '../../api/http/event-socket';
import { redactUrl } from '../../api/http/request-log';
import { routeUpgrades } from '../../api/http/upgrade';
import { renderSchedulerError } from '../../api/scheduler/errors';
import { unauthorized } from '../../services/core/errors';
import { createLogger } from '../../services/core/logger';
import { TokenService } from '../../services/tokens/token-service';
import { pingRedis } from '../../services/queue/redis';
import type { SchedulerEvent, SchedulerEventType } from '../../services/scheduler/scheduler-events';
import { createUserWithToken, startTestApp, until, type TestApp } from '../helpers/app';

/** A listener like `berth serve`'s: upgrades routed through Express, the socket mounted on /api/ws. */
async function listen(socket: SchedulerEventSocket): Promise<{ server: Server; url: string }> {
  const app = express();
  app.get('/api/ws', socket.handler(renderSchedulerError));
  const server = createServer(app);
  routeUpgrades(server, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/ws` };
}

/** Connects and collects messages; resolves once open, or with the refusal's status. */
function connect(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const messages: Array<{ type: string; payload: Record<string, unknown>; timestamp: string }> = [];
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  const opened = new Promise<{ status: number; body?: string }>((resolve) => {
    ws.once('open', () => resolve({ status: 101 }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => resolve({ status: 0 }));
  });
  return { ws, messages, opened, closed };
}

const event = (instanceId: string, type: SchedulerEventType, job: string): SchedulerEvent => ({
  type, instanceId, payload: { job }, timestamp: new Date().toISOString(),
});

describe('GET /api/ws with a fake feed', () => {
  const feed = new EventEmitter();
  const events: EventFeed = { onEvent: (listener) => (feed.on('e', listener), () => feed.off('e', listener)) };
  const principals: Record<string, { instanceId: string }> = { bt_a: { instanceId: 'tenant-a' }, bt_b: { instanceId: 'tenant-b' } };
  const authenticate = async (secret: string) => {
    if (!principals[secret]) throw unauthorized('Invalid token');
    return principals[secret];
  };
  let socket: SchedulerEventSocket;
  let server: Server;
  let url: string;

  beforeEach(async () => {
    socket = new SchedulerEventSocket({ events, authenticate, logger: createLogger('silent'), pingMs: 50 });
    ({ server, url } = await listen(socket));
  });
  afterEach(async () => {
    await socket.close(500);
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses without a token or with a bad one, in the seed’s error format, before any upgrade', async () => {
    const none = connect(url);
    const refused = await none.opened;
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body!).error.code).toBe('UNAUTHORIZED');
    expect((await connect(url, { Authorization: 'Bearer bt_nope' }).opened).status).toBe(401);
    expect(socket.connections).toBe(0);
  });

  it('sends each tenant only its own events, as {type, payload, timestamp}', async () => {
    const a = connect(url, { Authorization: 'Bearer bt_a' });
    const b = connect(`${url}?token=bt_b`);
    expect((await a.opened).status).toBe(101);
    expect((await b.opened).status).toBe(101);
    feed.emit('e', event('tenant-b', 'job.added', 'b-job'));
    feed.emit('e', event('tenant-a', 'job.started', 'a-job'));
    feed.emit('e', event('tenant-a', 'scheduler.stopped', 'a-last'));
    await until(async () => a.messages.length, (n) => n === 2);
    await until(async () => b.messages.length, (n) => n === 1);
    expect(a.messages.map((m) => [m.type, m.payload.job])).toEqual([['job.started', 'a-job'], ['scheduler.stopped', 'a-last']]);
    expect(Object.keys(a.messages[0]).sort()).toEqual(['payload', 'timestamp', 'type']);
    expect(b.messages.map((m) => m.payload.job)).toEqual(['b-job']);
    a.ws.close();
    b.ws.close();
    await until(async () => socket.connections, (n) => n === 0);
    // With no peer left, the feed is let go.
    expect(feed.listenerCount('e')).toBe(0);
  });

  it('drops a peer that stops answering pings', async () => {
    const peer = connect(url, { Authorization: 'Bearer bt_a' });
    await peer.opened;
    // Stops reading: no pong goes back, as from a machine that vanished.
    (peer.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await until(async () => socket.connections, (n) => n === 0);
    peer.ws.terminate();
  });

  it('answers 400 to a plain GET, and closes peers with 1001 on shutdown', async () => {
    const plain = await fetch(url.replace('ws:', 'http:'), { headers: { Authorization: 'Bearer bt_a' } });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_ERROR');
    const peer = connect(url, { Authorization: 'Bearer bt_a' });
    await peer.opened;
    await socket.close();
    expect(await peer.closed).toBe(1001);
    expect((await connect(url, { Authorization: 'Bearer bt_a' }).opened).status).toBe(503);
  });

  it('never logs the query token', () => {
    expect(redactUrl('/api/ws?token=bt_secret')).toBe('/api/ws?token=[redacted]');
  });
});

describe('GET /api/ws on a real Berth: real tokens, events over Redis', () => {
  let app: TestApp;
  let socket: SchedulerEventSocket;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    app = await startTestApp();
    await pingRedis(app.berth.redis);
    const tokens = new TokenService({ tokens: app.berth.store.tokens, clock: () => new Date() });
    socket = new SchedulerEventSocket({
      events: app.berth.scheduler.schedulerEvents,
      authenticate: (secret) => tokens.authenticate(secret),
      logger: createLogger('silent'),
    });
    ({ server, url } = await listen(socket));
  });
  afterAll(async () => {
    await socket?.close();
    await new Promise((resolve) => server?.close(resolve));
    await app?.close();
  });

  it('delivers the tenant’s events published by any process, and nobody else’s', async () => {
    const { token } = await createUserWithToken(app, 'admin');
    const instanceId = (await app.berth.store.instances.findDefault())!.id;
    const peer = connect(url, { Authorization: `Bearer ${token}` });
    expect((await peer.opened).status).toBe(101);
    const events = app.berth.scheduler.schedulerEvents;
    // The subscription is made at start, asynchronously: publish until one arrives.
    await until(
      async () => {
        events.publish('another-tenant', 'job.added', { job: 'theirs' }, new Date());
        events.publish(instanceId, 'job.completed', { job: 'ours', executionId: 'e-1' }, new Date());
        return peer.messages.length;
      },
      (n) => n > 0,
    );
    expect(peer.messages.every((m) => m.payload.job === 'ours' && m.type === 'job.completed')).toBe(true);
    peer.ws.close();
  });
});
