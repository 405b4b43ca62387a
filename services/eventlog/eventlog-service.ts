import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { notFound } from '../core/errors';
import type { AuditEvent, EventlogRepo, EventQuery } from './eventlog-repo';

/** Who did something and from where: built by the HTTP layer, passed to every mutating service call. */
export interface Actor {
  instanceId: string;
  userId: string | null;
  tokenId: string | null;
  ip: string | null;
}

const SECRET_KEYS = /pass(word)?|secret|token|key|credential|hash/i;

/** Replaces the values of secret-looking keys, at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redact(v)]),
    );
  }
  return value;
}

export const LOGIN_ACTIONS = ['user.login', 'user.login.failed', 'user.logout'];

/** The audit log: every mutating operation records who did what to what, and what changed. */
export class EventlogService {
  constructor(private readonly deps: { events: EventlogRepo; clock: Clock }) {}

  async record(actor: Actor, action: string, target: string | null, data: Record<string, unknown> = {}): Promise<void> {
    await this.deps.events.insert({
      id: newId('eid'),
      instanceId: actor.instanceId,
      action,
      actor: { type: actor.userId ? 'user' : 'system', id: actor.userId, tokenId: actor.tokenId },
      target,
      sourceIp: actor.ip,
      data: redact(data) as Record<string, unknown>,
      createdAt: this.deps.clock().toISOString(),
    });
  }

  list(query: EventQuery): Promise<AuditEvent[]> {
    return this.deps.events.list(query);
  }

  async get(instanceId: string, id: string): Promise<AuditEvent> {
    const event = await this.deps.events.get(instanceId, id);
    if (!event) throw notFound('No such event');
    return event;
  }

  /** Retention: events older than `days` go, login events only after `loginDays`. */
  prune(days: number, loginDays: number): Promise<number> {
    const now = this.deps.clock().getTime();
    const iso = (d: number) => new Date(now - d * 24 * 3600_000).toISOString();
    return this.deps.events.deleteBefore(iso(days), { actions: LOGIN_ACTIONS, before: iso(loginDays) });
  }
}

/** Lists the fields whose values differ, as `{before, after}` pairs. */
export function changes<T extends Record<string, unknown>>(before: T, after: Partial<T>): Record<string, { before: unknown; after: unknown }> {
  const result: Record<string, { before: unknown; after: unknown }> = {};
  for (const [key, value] of Object.entries(after)) {
    if (value !== undefined && before[key] !== value) result[key] = { before: before[key], after: value };
  }
  return result;
}
