import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ExecSession } from '../../../services/apps/app-runtime';
import { badRequest } from '../../../services/core/errors';
import { upgradeHead } from '../../http/upgrade';
import type { Reply } from '../../openapi/surface';
import type { BoxCall } from '../handler-types';
import { actorOf, type BoxServices } from '../services';

/**
 * `GET /apps/{appId}/exec` as a WebSocket (protocol in openapi/box.yaml): the request went through the box
 * surface like any other (token, role, validation), and only once the service has started the command is the
 * connection upgraded. Errors before that are ordinary HTTP error responses.
 */
export async function execOverWebSocket(s: BoxServices, wss: WebSocketServer, call: BoxCall<'execApp'>): Promise<Reply | undefined> {
  const head = upgradeHead(call.req);
  if (!head || (call.req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw badRequest('This endpoint needs a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)');
  }
  const cmd = parseCmd(call.query.cmd);
  const session = await s.apps.exec(actorOf(call), call.params.appId, { cmd, tty: call.query.tty === true });
  wss.handleUpgrade(call.req, call.req.socket as Duplex, head, (ws) => bridge(ws, session));
  return undefined;
}

function parseCmd(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return ['/bin/sh'];
  if (raw.trim().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw badRequest('cmd must be a JSON array of strings or a command line', { field: 'cmd' });
    }
    if (!Array.isArray(parsed) || !parsed.length || parsed.some((p) => typeof p !== 'string')) {
      throw badRequest('cmd must be a non-empty JSON array of strings', { field: 'cmd' });
    }
    return parsed as string[];
  }
  return raw.trim().split(/\s+/);
}

/** stdin from binary messages; stdout and stderr out as binary messages tagged 1 or 2; the exit code last. */
function bridge(ws: WebSocket, session: ExecSession): void {
  session.onOutput((stream, payload) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([stream]), payload]), { binary: true });
  });
  let ended = false;
  session.onEnd(async () => {
    ended = true;
    const code = await session.exitCode().catch(() => -1);
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ type: 'exit', code }));
      ws.close(1000, 'exited');
    }
  });

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      session.write(data);
      return;
    }
    let message: { type?: string; rows?: number; cols?: number };
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (message.type === 'eof') session.endInput();
    else if (message.type === 'resize' && Number(message.rows) > 0 && Number(message.cols) > 0) void session.resize(Number(message.rows), Number(message.cols));
  });
  // The engine has no way to kill an exec: a command that ignores its closed stdin runs on in the container.
  ws.on('close', () => {
    if (!ended) session.close();
  });
}
