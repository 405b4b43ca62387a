import { BerthError } from '../core/errors';
import { dockerError } from './docker-errors';

export const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

/**
 * A scheduler job's engine error as a BerthError, never dockerode's own: an engine that cannot be reached stays
 * 503 DOCKER_UNAVAILABLE (docker-errors.ts), anything else the engine refused is 400 DOCKER_ERROR with what Berth
 * was doing and the engine's own words, which name the cause (a bad mode, a name in use, a missing binary).
 */
export function jobEngineError(err: unknown, doing: string): BerthError {
  if (err instanceof BerthError) return err;
  const mapped = dockerError(err);
  if (mapped instanceof BerthError) return mapped;
  const json = (err as { json?: { message?: string } | string }).json;
  const message = typeof json === 'object' && json?.message ? json.message : (err as Error)?.message ?? String(err);
  return new BerthError('DOCKER_ERROR', 400, `${doing}: ${message.trim()}`);
}

/** Calls the engine and turns whatever it throws into a BerthError. */
export async function engine<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw jobEngineError(err, doing);
  }
}
