import type { AuditEvent } from '../../../services/eventlog/eventlog-repo';
import type { BoxHandlers } from '../handler-types';
import { type BoxServices, ok, principalOf } from '../services';

export function renderEvent(event: AuditEvent) {
  return {
    id: event.id,
    action: event.action,
    creationTime: event.createdAt,
    source: { type: event.actor.type, userId: event.actor.id, tokenId: event.actor.tokenId ?? null, ip: event.sourceIp },
    target: event.target,
    data: event.data,
  };
}

export function eventlogHandlers(s: BoxServices) {
  return {
    listEvents: async (call) => {
      const q = call.query;
      const events = await s.eventlog.list({
        instanceId: principalOf(call).instanceId,
        page: q.page ?? 1,
        perPage: q.per_page ?? 25,
        actions: q.action?.split(',').map((a) => a.trim()).filter(Boolean),
        search: q.search?.trim() || undefined,
        from: q.from && new Date(q.from).toISOString(),
        to: q.to && new Date(q.to).toISOString(),
      });
      return ok({ eventlogs: events.map(renderEvent) });
    },
    getEvent: async (call) => ok(renderEvent(await s.eventlog.get(principalOf(call).instanceId, call.params.eventId))),
  } satisfies Partial<BoxHandlers>;
}
