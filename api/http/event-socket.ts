import type { Duplex } from 'node:stream';
import type { Request, RequestHandler, Response } from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../../services/auth/principal';
import { BerthError, badRequest, toBerthError, unauthorized } from '../../services/core/errors';
import type { Logger } from '../../services/core/logger';
import type { SchedulerEvent } from '../../services/scheduler/scheduler-events';
import { bearerSecret } from './rate-limit';
import { upgradeHead } from './upgrade';

/** What the socket needs of SchedulerEvents: every tenant's events, each with its `instanceId`. */
export interface EventFeed {
  onEvent(listener: (event: SchedulerEvent) => void): () => void;
}

export interface EventSocketOptions {
  events: EventFeed;
  /** TokenService.authenticate: a bearer secret to its principal, or a 401 BerthError. */
  authenticate(secret: string): Promise<Pick<Principal, 'instanceId'>>;
  logger: Logger;
  /** How often peers are pinged; one that has not answered the previous ping by then is dropped. */
  pingMs?: number;
  /** A peer this far behind (bytes queued to it) is dropped rather than buffered without end. */
  maxBufferedBytes?: number;
}

interface Peer {
  ws: WebSocket;
  instanceId: string;
  alive: boolean;
}

/**
 * `GET /api/ws`: the seed's live events, `{type, payload, timestamp}` as JSON text messages, each tenant's only
 * to that tenant's tokens. The request reaches Express through `routeUpgrades` (upgrade.ts) like any other, so
 * a refusal (no token, a bad one, not an upgrade) is an ordinary HTTP answer in the surface's error format;
 * only an authenticated request is upgraded.
 *
 * The token comes from `Authorization: Bearer …`, or from `?token=` because a browser's WebSocket cannot set
 * headers. A token in a URL can end up in proxy logs and browser history; Berth's request log redacts `token`
 * (request-log.ts), and clients that can set the header should. Origins are not checked: the socket takes no
 * cookies, so a page elsewhere gains nothing without the token itself.
 *
 * One subscription to the event feed serves every peer of this process. Pings find dead peers (a laptop that
 * closed its lid sends no FIN); `close()` says goodbye to every peer (1001) and leaves no timer or socket open.
 */
export class SchedulerEventSocket {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly peers = new Set<Peer>();
  private unsubscribe: (() => void) | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly options: EventSocketOptions) {}

  get connections(): number {
    return this.peers.size;
  }

  /**
   * An Express handler for `GET /api/ws` that authenticates by itself, for mounting outside a surface
   * (`app.get('/api/ws', socket.handler(renderSchedulerError))`). Errors go through `render`.
   */
  handler(render: (res: Response, error: BerthError) => void): RequestHandler {
    return async (req: Request, res: Response) => {
      try {
        const secret = bearerSecret(req);
        if (!secret) throw unauthorized('A bearer token is required (Authorization header, or ?token= for browsers)');
        this.accept(req, await this.options.authenticate(secret));
      } catch (err) {
        render(res, toBerthError(err));
      }
    };
  }

  /**
   * Upgrades a request whose principal is already known (from a surface operation's handler: the surface
   * authenticated it). Throws 400 when the request is not a WebSocket upgrade, 503 while shutting down;
   * after it returns, nothing may be written to `res`.
   */
  accept(req: Request, principal: Pick<Principal, 'instanceId'>): void {
    const head = upgradeHead(req);
    if (!head || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      throw badRequest('This endpoint needs a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)');
    }
    if (this.closing) throw new BerthError('SERVICE_UNAVAILABLE', 503, 'The server is shutting down');
    this.wss.handleUpgrade(req, req.socket as Duplex, head, (ws) => this.add(ws, principal.instanceId));
  }

  /** Closes every peer with 1001 (going away), then stops pinging and listening; waits at most `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    const closed = [...this.peers].map(
      (peer) =>
        new Promise<void>((resolve) => {
          if (peer.ws.readyState === peer.ws.CLOSED) return resolve();
          peer.ws.once('close', () => resolve());
          peer.ws.close(1001, 'server shutting down');
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    // A peer that never answered the close handshake is cut.
    for (const peer of this.peers) peer.ws.terminate();
    this.stopFeed();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private add(ws: WebSocket, instanceId: string): void {
    const peer: Peer = { ws, instanceId, alive: true };
    this.peers.add(peer);
    this.startFeed();
    ws.on('pong', () => (peer.alive = true));
    // Peers only listen: anything they send is ignored, but read, so it never piles up.
    ws.on('message', () => undefined);
    ws.on('error', (err) => this.options.logger.debug({ err: err.message }, 'event socket peer error'));
    ws.on('close', () => {
      this.peers.delete(peer);
      if (!this.peers.size) this.stopFeed();
    });
  }

  private startFeed(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.options.events.onEvent((event) => this.dispatch(event));
    const pingMs = this.options.pingMs ?? 30_000;
    this.pinger = setInterval(() => this.ping(), pingMs);
  }

  private stopFeed(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.pinger);
    this.pinger = undefined;
  }

  private dispatch(event: SchedulerEvent): void {
    const message = JSON.stringify({ type: event.type, payload: event.payload, timestamp: event.timestamp });
    const limit = this.options.maxBufferedBytes ?? 1024 * 1024;
    for (const peer of this.peers) {
      if (peer.instanceId !== event.instanceId || peer.ws.readyState !== peer.ws.OPEN) continue;
      // A peer that does not read would make this process hold every event for it: it is dropped instead
      // (1008 policy violation), and reconnects to re-read the state from the API.
      if (peer.ws.bufferedAmount > limit) {
        peer.ws.close(1008, 'too slow: events were piling up');
        continue;
      }
      peer.ws.send(message);
    }
  }

  private ping(): void {
    for (const peer of this.peers) {
      if (!peer.alive) {
        peer.ws.terminate();
        continue;
      }
      peer.alive = false;
      peer.ws.ping();
    }
  }
}
