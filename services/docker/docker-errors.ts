import { BerthError } from '../core/errors';

/** Engine errors that mean "not there", which idempotent teardown ignores. */
export const gone = (err: unknown) => [304, 404].includes((err as { statusCode?: number }).statusCode ?? 0);

/** A refused or missing socket means the engine is down: 503, with a code scripts can test for. */
export function dockerError(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code && ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code)) {
    return new BerthError('DOCKER_UNAVAILABLE', 503, `The Docker engine is not reachable (${code})`);
  }
  return err;
}
