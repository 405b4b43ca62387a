import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express, Request } from 'express';

const heads = new WeakMap<IncomingMessage, Buffer>();

/**
 * Sends WebSocket upgrade requests through the same Express app as every other request, so they are
 * authenticated, authorised and validated by their surface. A handler that accepts one finds the bytes read
 * past the headers with `upgradeHead(req)` and hands the socket to `ws`; anything else answers with an
 * ordinary HTTP response written to the socket.
 */
export function routeUpgrades(server: Server, app: Express): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    heads.set(req, head);
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    res.on('finish', () => (socket as Socket).destroySoon());
    app(req as Request, res as never);
  });
}

/** Set only on requests that arrived as an upgrade. */
export function upgradeHead(req: Request): Buffer | undefined {
  return heads.get(req);
}
