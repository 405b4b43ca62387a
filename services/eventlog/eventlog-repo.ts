import type { Db } from '../db/database';
import { jsonText, mapTable, text, textOrNull } from '../db/columns';

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

/** The actor is two columns; its token id rides in `data` as `_tokenId` (no column of its own). */
const events = mapTable<{
  id: string;
  instanceId: string;
  action: string;
  actorType: ActorType;
  actorId: string | null;
  target: string | null;
  sourceIp: string | null;
  data: Record<string, unknown> & { _tokenId?: string };
  createdAt: string;
}>('eventlog', {
  id: text(),
  instanceId: text(),
  action: text(),
  actorType: text(),
  actorId: textOrNull(),
  target: textOrNull(),
  sourceIp: textOrNull(),
  data: jsonText(),
  createdAt: text(),
});

function fromRow(row: Record<string, unknown>): AuditEvent {
  const { actorType, actorId, data, ...event } = events.fromRow(row);
  const { _tokenId, ...rest } = data;
  return { ...event, actor: { type: actorType, id: actorId, tokenId: _tokenId ?? null }, data: rest };
}

export class KnexEventlogRepo implements EventlogRepo {
  constructor(private readonly db: Db) {}

  async insert(event: AuditEvent) {
    const { actor, data, ...rest } = event;
    await this.db('eventlog').insert(
      events.toRow({ ...rest, actorType: actor.type, actorId: actor.id, data: actor.tokenId ? { ...data, _tokenId: actor.tokenId } : data }),
    );
  }

  async list({ instanceId, actions, search, from, to, page, perPage }: EventQuery) {
    const query = this.db('eventlog').where({ instance_id: instanceId });
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
    const row = await this.db('eventlog').where({ instance_id: instanceId, id }).first();
    return row ? fromRow(row) : undefined;
  }

  async deleteBefore(before: string, keep: { actions: string[]; before: string }) {
    const older = await this.db('eventlog').where('created_at', '<', before).whereNotIn('action', keep.actions).delete();
    const kept = await this.db('eventlog').where('created_at', '<', keep.before).whereIn('action', keep.actions).delete();
    return older + kept;
  }
}
