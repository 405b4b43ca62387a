import type { Db } from '../db/database';

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

interface Row {
  id: string;
  instance_id: string;
  alert_key: string | null;
  event_id: string | null;
  title: string;
  message: string;
  acknowledged: boolean | number;
  created_at: string;
  updated_at: string;
}

const fromRow = (r: Row): Notification => ({
  id: r.id,
  instanceId: r.instance_id,
  alertKey: r.alert_key,
  eventId: r.event_id,
  title: r.title,
  message: r.message,
  acknowledged: Boolean(r.acknowledged),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class KnexNotificationRepo implements NotificationRepo {
  constructor(private readonly db: Db) {}

  async insert(n: Notification) {
    await this.db<Row>('notifications').insert({
      id: n.id, instance_id: n.instanceId, alert_key: n.alertKey, event_id: n.eventId, title: n.title, message: n.message,
      acknowledged: n.acknowledged, created_at: n.createdAt, updated_at: n.updatedAt,
    });
  }

  async list({ instanceId, acknowledged, page, perPage }: NotificationQuery) {
    const query = this.db<Row>('notifications').where({ instance_id: instanceId });
    if (acknowledged !== undefined) query.andWhere({ acknowledged });
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(perPage).offset((page - 1) * perPage);
    return rows.map(fromRow);
  }

  async get(instanceId: string, id: string) {
    const row = await this.db<Row>('notifications').where({ instance_id: instanceId, id }).first();
    return row ? fromRow(row) : undefined;
  }

  async open(instanceId: string, alertKey: string) {
    const row = await this.db<Row>('notifications').where({ instance_id: instanceId, alert_key: alertKey, acknowledged: false }).orderBy('created_at', 'desc').first();
    return row ? fromRow(row) : undefined;
  }

  async update(instanceId: string, id: string, patch: Partial<Pick<Notification, 'title' | 'message' | 'acknowledged' | 'eventId'>>, at: string) {
    const changes: Partial<Row> = { updated_at: at };
    if (patch.title !== undefined) changes.title = patch.title;
    if (patch.message !== undefined) changes.message = patch.message;
    if (patch.acknowledged !== undefined) changes.acknowledged = patch.acknowledged;
    if (patch.eventId !== undefined) changes.event_id = patch.eventId;
    return (await this.db<Row>('notifications').where({ instance_id: instanceId, id }).update(changes)) > 0;
  }
}
