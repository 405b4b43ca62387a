import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import type { BerthError } from '../../services/core/errors';

/** cozy-stack's admin errors are JSON:API: `{errors: [{status, title, detail}]}`, plus Berth's code. */
export function renderAdminError(res: Response, error: BerthError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="berth-admin", charset="UTF-8"');
  if (error.details?.retryAfter !== undefined) res.setHeader('Retry-After', String(error.details.retryAfter));
  res
    .status(error.status)
    .type('application/vnd.api+json')
    .send(JSON.stringify({ errors: [{ status: String(error.status), title: STATUS_CODES[error.status] ?? 'Error', detail: error.message, code: error.code }] }));
}
