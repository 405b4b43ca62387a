import type { Db } from '../db/database';
import { json } from '../db/database';

export type ActorType = 'user' | 'system';

export interface AuditEvent {
  id: string;
  instanceId: string;
  action: string;
  actor: { type: ActorType; id: string | null; tokenId?: string | null };
  target: string | null;
  sourceIp: string | null;
  /** What changed: `before`/`after` for updates, the object for additions, with secrets redacted. */
  data: Record<string, unknown>;
  createdAt: string;
}

export interface EventQuery {
  instanceId: string;
  actions?: string[];
  search?: string;
  from?: string;
  to?: string;
  page: number;
  perPage: number;
}

/** Append-only: there is no update, and deletion happens only by retention. */
export interface EventlogRepo {
  insert(event: AuditEvent): Promise<void>;
  list(query: EventQuery): Promise<AuditEvent[]>;
  get(instanceId: string, id: string): Promise<AuditEvent | undefined>;
  /** Retention: removes events older than `before`, except those whose action is in `keep`. */
  deleteBefore(before: string, keep: { actions: string[]; before: string }): Promise<number>;
}

interface EventRow {
  id: string;
  instance_id: string;
  action: string;
  actor_type: ActorType;
  actor_id: string | null;
  target: string | null;
  source_ip: string | null;
  data: string;
  created_at: string;
}

const fromRow = (row: EventRow): AuditEvent => {
  const data = json<Record<string, unknown> & { _tokenId?: string }>(row.data);
  const { _tokenId, ...rest } = data;
  return {
    id: row.id,
    instanceId: row.instance_id,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id, tokenId: _tokenId ?? null },
    target: row.target,
    sourceIp: row.source_ip,
    data: rest,
    createdAt: row.created_at,
  };
};

export class KnexEventlogRepo implements EventlogRepo {
  constructor(private readonly db: Db) {}

  async insert(event: AuditEvent) {
    await this.db('eventlog').insert({
      id: event.id,
      instance_id: event.instanceId,
      action: event.action,
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      target: event.target,
      source_ip: event.sourceIp,
      data: JSON.stringify(event.actor.tokenId ? { ...event.data, _tokenId: event.actor.tokenId } : event.data),
      created_at: event.createdAt,
    });
  }

  async list({ instanceId, actions, search, from, to, page, perPage }: EventQuery) {
    const query = this.db<EventRow>('eventlog').where({ instance_id: instanceId });
    if (actions?.length) query.whereIn('action', actions);
    if (from) query.andWhere('created_at', '>=', from);
    if (to) query.andWhere('created_at', '<=', to);
    if (search) {
      const like = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere((q) => q.whereRaw("data like ? escape '\\'", [like]).orWhereRaw("target like ? escape '\\'", [like]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(perPage).offset((page - 1) * perPage);
    return rows.map(fromRow);
  }

  async get(instanceId: string, id: string) {
    const row = await this.db<EventRow>('eventlog').where({ instance_id: instanceId, id }).first();
    return row && fromRow(row);
  }

  async deleteBefore(before: string, keep: { actions: string[]; before: string }) {
    const older = await this.db('eventlog').where('created_at', '<', before).whereNotIn('action', keep.actions).delete();
    const kept = await this.db('eventlog').where('created_at', '<', keep.before).whereIn('action', keep.actions).delete();
    return older + kept;
  }
}
