import type { Db } from '../db/database';
import { boolean, mapTable, text, textOrNull } from '../db/columns';

export interface Notification {
  id: string;
  instanceId: string;
  /** The condition it reports (`backups.overdue`, `certificate.renewal:<fqdn>`), or null for one-off news. */
  alertKey: string | null;
  /** The audit event it is about, when there is one. */
  eventId: string | null;
  title: string;
  message: string;
  acknowledged: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NotificationQuery {
  instanceId: string;
  acknowledged?: boolean;
  page: number;
  perPage: number;
}

export interface NotificationRepo {
  insert(notification: Notification): Promise<void>;
  list(query: NotificationQuery): Promise<Notification[]>;
  get(instanceId: string, id: string): Promise<Notification | undefined>;
  /** The unacknowledged notification for a condition, if one is open. */
  open(instanceId: string, alertKey: string): Promise<Notification | undefined>;
  /** False when there is no such notification in the tenant. */
  update(instanceId: string, id: string, patch: Partial<Pick<Notification, 'title' | 'message' | 'acknowledged' | 'eventId'>>, at: string): Promise<boolean>;
}

const notifications = mapTable<Notification>('notifications', {
  id: text(),
  instanceId: text(),
  alertKey: textOrNull(),
  eventId: textOrNull(),
  title: text(),
  message: text(),
  acknowledged: boolean(),
  createdAt: text(),
  updatedAt: text(),
});

export class KnexNotificationRepo implements NotificationRepo {
  constructor(private readonly db: Db) {}

  async insert(notification: Notification) {
    await this.db('notifications').insert(notifications.toRow(notification));
  }

  async list({ instanceId, acknowledged, page, perPage }: NotificationQuery) {
    const query = this.db('notifications').where({ instance_id: instanceId });
    if (acknowledged !== undefined) query.andWhere({ acknowledged });
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(perPage).offset((page - 1) * perPage);
    return rows.map(notifications.fromRow);
  }

  async get(instanceId: string, id: string) {
    const row = await this.db('notifications').where({ instance_id: instanceId, id }).first();
    return row ? notifications.fromRow(row) : undefined;
  }

  async open(instanceId: string, alertKey: string) {
    const row = await this.db('notifications').where({ instance_id: instanceId, alert_key: alertKey, acknowledged: false }).orderBy('created_at', 'desc').first();
    return row ? notifications.fromRow(row) : undefined;
  }

  async update(instanceId: string, id: string, patch: Partial<Pick<Notification, 'title' | 'message' | 'acknowledged' | 'eventId'>>, at: string) {
    const changes = notifications.toRow({ ...patch, updatedAt: at });
    return (await this.db('notifications').where({ instance_id: instanceId, id }).update(changes)) > 0;
  }
}
