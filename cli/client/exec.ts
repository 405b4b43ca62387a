import WebSocket from 'ws';
import type { paths } from '../generated/box';
import type { Io } from '../ui/io';
import { apiBase } from './api';
import { apiError, CliError, networkError } from './errors';
import type { Session } from './session';

/** The operation this speaks, checked against the generated types so a renamed path fails the build. */
const EXEC_PATH: keyof paths = '/apps/{appId}/exec';

export interface ExecOptions {
  cmd: string[];
  tty: boolean;
}

/**
 * Runs a command in an app over the exec WebSocket (protocol: GET /apps/{appId}/exec in openapi/box.yaml):
 * stdin goes up as binary messages and `{"type":"eof"}` at its end, stdout and stderr come down tagged 1 and
 * 2, and the command's exit code comes last. Returns that exit code.
 */
export function execInApp(io: Io, session: Session, appId: string, options: ExecOptions): Promise<number> {
  const query = new URLSearchParams({ tty: String(options.tty) });
  if (options.cmd.length) query.set('cmd', JSON.stringify(options.cmd));
  const url = `${apiBase(session.url).replace(/^http/, 'ws')}${EXEC_PATH.replace('{appId}', encodeURIComponent(appId))}?${query}`;
  const ws = new WebSocket(url, {
    headers: session.token ? { Authorization: `Bearer ${session.token}` } : {},
    rejectUnauthorized: !session.allowSelfsigned,
  });
  const stdin = io.stdin;
  const raw = options.tty && Boolean(stdin.isTTY);
  let exitCode: number | undefined;

  const cleanup = () => {
    if (raw) stdin.setRawMode(false);
    stdin.removeListener('data', onInput);
    stdin.removeListener('end', onInputEnd);
    io.stdout.removeListener('resize', onResize);
    stdin.pause();
  };
  const onInput = (chunk: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
  };
  const onInputEnd = () => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'eof' }));
  };
  const onResize = () => {
    if (ws.readyState === ws.OPEN && io.stdout.rows && io.stdout.columns) ws.send(JSON.stringify({ type: 'resize', rows: io.stdout.rows, cols: io.stdout.columns }));
  };

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.terminate();
      reject(err);
    };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => {
        let parsed: unknown = body;
        try {
          parsed = JSON.parse(body);
        } catch {
          // not JSON: apiError names the status instead
        }
        fail(apiError(res.statusCode ?? 500, parsed));
      });
    });
    ws.on('error', (err) => {
      // After the exit code, the close that follows settles it.
      if (exitCode === undefined) fail(networkError(url.replace(/^ws/, 'http'), err));
    });
    ws.on('open', () => {
      if (raw) stdin.setRawMode(true);
      if (options.tty) {
        onResize();
        io.stdout.on('resize', onResize);
      }
      stdin.on('data', onInput);
      stdin.on('end', onInputEnd);
      stdin.resume();
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        (data[0] === 2 ? io.stderr : io.stdout).write(data.subarray(1));
        return;
      }
      try {
        const message = JSON.parse(data.toString('utf8')) as { type?: string; code?: number };
        if (message.type === 'exit') exitCode = Number(message.code);
      } catch {
        // a text message that is not ours: ignore it
      }
    });
    ws.on('close', () => {
      if (exitCode === undefined) return fail(new CliError('the connection closed before the command ended'));
      if (exitCode < 0 || exitCode > 255) return fail(new CliError('the command ended but the Docker engine did not report its exit code'));
      settled = true;
      cleanup();
      resolve(exitCode);
    });
  });
}
