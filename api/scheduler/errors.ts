import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import type { BerthError, ErrorCode } from '../../services/core/errors';

/**
 * Input errors Berth names more finely elsewhere are Ofelia's one `VALIDATION_ERROR` here (malformed JSON too);
 * `details.reason` keeps Berth's code.
 */
const AS_VALIDATION: ReadonlySet<ErrorCode> = new Set(['VALIDATION_ERROR', 'BAD_REQUEST', 'MALFORMED_JSON']);

/** Ofelia's error body: `{error: {code, message, details}}`. */
export function renderSchedulerError(res: Response, error: BerthError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="berth"');
  if (error.code === 'RATE_LIMITED' && error.details?.retryAfter !== undefined) {
    res.setHeader('Retry-After', String(error.details.retryAfter));
  }
  const validation = AS_VALIDATION.has(error.code);
  const code = validation ? 'VALIDATION_ERROR' : error.code;
  const reason = validation && error.code !== 'VALIDATION_ERROR' ? { reason: error.code } : {};
  res.status(error.status).json({
    error: { code, message: error.message, details: { ...error.details, ...reason, status: STATUS_CODES[error.status] } },
  });
}
