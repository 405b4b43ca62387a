import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import type { BerthError } from '../../services/core/errors';

/** Cloudron's error body: `{status: "<reason phrase>", message, code}`. */
export function renderBoxError(res: Response, error: BerthError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="berth"');
  if (error.code === 'RATE_LIMITED' && error.details?.retryAfter !== undefined) {
    res.setHeader('Retry-After', String(error.details.retryAfter));
  }
  res.status(error.status).json({ status: STATUS_CODES[error.status] ?? 'Error', message: error.message, code: error.code });
}
