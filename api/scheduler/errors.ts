import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import type { BerthError } from '../../services/core/errors';

/** Ofelia's error body: `{error: {code, message, details}}`. */
export function renderSchedulerError(res: Response, error: BerthError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const code = error.code === 'VALIDATION_ERROR' || error.code === 'BAD_REQUEST' ? 'VALIDATION_ERROR' : error.code;
  res.status(error.status).json({
    error: { code, message: error.message, details: { ...error.details, status: STATUS_CODES[error.status] } },
  });
}
