/**
 * The one error type of Berth's core. Services throw it; each HTTP surface renders it in its own format
 * (the box API as Cloudron's `{status, message, code}`). Anything else that escapes is an internal error
 * and is rendered without its message or stack.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_ERROR'
  | 'MALFORMED_JSON'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'ALREADY_ACTIVATED'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'FAILED_DEPENDENCY'
  | 'SERVICE_UNAVAILABLE'
  | 'DOCKER_UNAVAILABLE'
  | 'INSTANCE_BLOCKED'
  | 'QUOTA_EXCEEDED'
  | 'INVALID_SCHEDULE'
  /** The scheduler's (seed 000): a job that does not exist, an engine that refused, an execution that failed. */
  | 'JOB_NOT_FOUND'
  | 'DOCKER_ERROR'
  | 'EXECUTION_ERROR'
  | 'INTERNAL_ERROR';

export class BerthError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'BerthError';
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new BerthError('BAD_REQUEST', 400, message, details);
export const validationError = (message: string, details?: Record<string, unknown>) =>
  new BerthError('VALIDATION_ERROR', 400, message, details);
export const unauthorized = (message = 'Authentication required') => new BerthError('UNAUTHORIZED', 401, message);
export const forbidden = (message: string) => new BerthError('FORBIDDEN', 403, message);
export const notFound = (message: string) => new BerthError('NOT_FOUND', 404, message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new BerthError('CONFLICT', 409, message, details);
export const preconditionFailed = (message: string) => new BerthError('PRECONDITION_FAILED', 412, message);
export const serviceUnavailable = (message: string) => new BerthError('SERVICE_UNAVAILABLE', 503, message);

export function rateLimited(message: string, retryAfterSecs: number): BerthError {
  return new BerthError('RATE_LIMITED', 429, message, { retryAfter: retryAfterSecs });
}

/** Turns anything thrown into a BerthError; unknown errors become a bare 500 so nothing internal leaks. */
export function toBerthError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  return new BerthError('INTERNAL_ERROR', 500, 'Internal error');
}
