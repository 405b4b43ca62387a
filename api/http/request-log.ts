import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../services/core/logger';

/** Query parameters whose values never reach a log line, however their names are encoded (`access%5Ftoken`, `token[]`). */
const SECRET_KEY = /^(access_token|token|password|secret)(\[.*\])?$/i;

export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const pairs = url.slice(at + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    return SECRET_KEY.test(decode(key)) ? `${key}=[redacted]` : pair;
  });
  return `${url.slice(0, at)}?${pairs.join('&')}`;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** One log line per request, with a request id (taken from `X-Request-Id` when sane) echoed in the response. */
export function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      // pino-http invents an Error for every 5xx; its stack says nothing, so only real errors keep theirs.
      err: (err: Error) =>
        err.message.startsWith('failed with status code') ? { message: err.message } : { type: err.name, message: err.message, stack: err.stack },
    },
    // 503 is an expected answer (readiness while a dependency is away), not a fault of Berth's.
    customLogLevel: (_req, res, err) => {
      if (res.statusCode === 503 && !err) return 'warn';
      return err || res.statusCode >= 500 ? 'error' : 'info';
    },
  });
}
