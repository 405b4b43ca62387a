import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { notFound } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Mailer } from '../mail/mailer';
import type { UserRepo } from '../users/user-repo';
import type { Notification, NotificationRepo } from './notification-repo';

export interface NotifyInput {
  title: string;
  message: string;
  /**
   * The condition reported. While a notification for it is unacknowledged, notifying again updates that one
   * (and mails nobody): a check that runs every few minutes must not bury the admins.
   */
  alertKey?: string;
  eventId?: string;
}

/**
 * Tells a tenant's admins about something that needs them: a notification in `/notifications`, and a mail to
 * every active owner and admin when an SMTP relay is configured. Mail is best effort: a relay that is down is
 * logged, never a failure of what reported the problem.
 */
export class NotificationService {
  constructor(private readonly deps: { notifications: NotificationRepo; users: Pick<UserRepo, 'activeAdminEmails'>; mailer: Mailer; clock: Clock; logger: Logger }) {}

  async notifyAdmins(instanceId: string, input: NotifyInput): Promise<Notification> {
    const { notifications } = this.deps;
    const now = this.deps.clock().toISOString();
    const open = input.alertKey ? await notifications.open(instanceId, input.alertKey) : undefined;
    if (open) {
      await notifications.update(instanceId, open.id, { title: input.title, message: input.message, eventId: input.eventId }, now);
      return { ...open, title: input.title, message: input.message, eventId: input.eventId ?? open.eventId, updatedAt: now };
    }
    const notification: Notification = {
      id: newId('ntf'),
      instanceId,
      alertKey: input.alertKey ?? null,
      eventId: input.eventId ?? null,
      title: input.title,
      message: input.message,
      acknowledged: false,
      createdAt: now,
      updatedAt: now,
    };
    await notifications.insert(notification);
    await this.mail(instanceId, notification);
    return notification;
  }

  list(query: { instanceId: string; acknowledged?: boolean; page: number; perPage: number }): Promise<Notification[]> {
    return this.deps.notifications.list(query);
  }

  async get(instanceId: string, id: string): Promise<Notification> {
    const found = await this.deps.notifications.get(instanceId, id);
    if (!found) throw notFound('No such notification');
    return found;
  }

  async acknowledge(instanceId: string, id: string, acknowledged: boolean): Promise<void> {
    if (!(await this.deps.notifications.update(instanceId, id, { acknowledged }, this.deps.clock().toISOString()))) throw notFound('No such notification');
  }

  private async mail(instanceId: string, notification: Notification) {
    const { mailer, logger } = this.deps;
    if (!mailer.configured) return;
    for (const to of await this.deps.users.activeAdminEmails(instanceId)) {
      await mailer
        .send({ to, subject: notification.title, text: `${notification.message}\n\nSee the dashboard's notifications to acknowledge it.\n` })
        .catch((err: Error) => logger.warn({ err: err.message, instanceId, notification: notification.id }, 'mailing a notification failed'));
    }
  }
}
