import type { Notification } from '../../../services/notifications/notification-repo';
import type { BoxHandlers } from '../handler-types';
import { type BoxServices, noContent, ok, principalOf } from '../services';

/** Cloudron's notification object. */
export function renderNotification(n: Notification) {
  return { id: n.id, eventId: n.eventId, title: n.title, message: n.message, creationTime: n.createdAt, acknowledged: n.acknowledged };
}

export function notificationHandlers(s: BoxServices) {
  return {
    listNotifications: async (call) => {
      const q = call.query;
      const list = await s.notifications.list({ instanceId: principalOf(call).instanceId, acknowledged: q.acknowledged, page: q.page ?? 1, perPage: q.per_page ?? 25 });
      return ok({ notifications: list.map(renderNotification) });
    },
    getNotification: async (call) => ok(renderNotification(await s.notifications.get(principalOf(call).instanceId, call.params.notificationId))),
    updateNotification: async (call) => {
      await s.notifications.acknowledge(principalOf(call).instanceId, call.params.notificationId, call.body.acknowledged);
      return noContent();
    },
  } satisfies Partial<BoxHandlers>;
}
