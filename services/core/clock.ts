import { randomUUID } from 'node:crypto';

/** Services read the time through this, so tests can move it (token expiry, retention). */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/** Ids carry a prefix naming their kind, as Cloudron's do (`uid-…`, `gid-…`). */
export function newId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}
