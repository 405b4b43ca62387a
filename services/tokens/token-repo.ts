import type { Db } from '../db/database';
import { asBoolean, mapTable, text, textOrNull } from '../db/columns';
import type { Role } from '../auth/roles';

export type TokenScope = 'rw' | 'r';

export interface Token {
  id: string;
  instanceId: string;
  userId: string;
  name: string;
  tokenHash: string;
  clientId: string;
  scope: TokenScope;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

/** A token found by its secret, with what authentication needs to know about its user, in one query. */
export interface TokenOwner {
  token: Token;
  user: { role: Role; active: boolean };
}

export interface TokenRepo {
  insert(token: Token): Promise<void>;
  findByHash(tokenHash: string): Promise<TokenOwner | undefined>;
  listForUser(instanceId: string, userId: string): Promise<Token[]>;
  get(instanceId: string, userId: string, id: string): Promise<Token | undefined>;
  /** Returns whether a row was deleted. */
  delete(instanceId: string, userId: string, id: string): Promise<boolean>;
  /** Revokes a user's tokens of one client kind, except one. */
  deleteForUser(instanceId: string, userId: string, filter: { clientId: string; exceptId?: string }): Promise<number>;
  touch(id: string, at: string): Promise<void>;
  deleteAllForUser(instanceId: string, userId: string): Promise<number>;
  /** Every token of a tenant with this client id (all when omitted); returns how many went. */
  deleteForInstance(instanceId: string, clientId?: string): Promise<number>;
  /** The latest time a token of the tenant was created or used by a person (login tokens), or null. */
  lastActivity(instanceId: string, clientId: string): Promise<string | null>;
}

const tokens = mapTable<Token>('tokens', {
  id: text(),
  instanceId: text(),
  userId: text(),
  name: text(),
  tokenHash: text(),
  clientId: text(),
  scope: text(),
  expiresAt: textOrNull(),
  lastUsedAt: textOrNull(),
  createdAt: text(),
});

export class KnexTokenRepo implements TokenRepo {
  constructor(private readonly db: Db) {}

  async insert(token: Token) {
    await this.db('tokens').insert(tokens.toRow(token));
  }

  async findByHash(tokenHash: string) {
    const row = await this.db('tokens')
      .join('users', 'users.id', 'tokens.user_id')
      .where('tokens.token_hash', tokenHash)
      .first('tokens.*', 'users.role as user_role', 'users.active as user_active');
    if (!row) return undefined;
    return { token: tokens.fromRow(row), user: { role: row.user_role as Role, active: asBoolean(row.user_active) } };
  }

  async listForUser(instanceId: string, userId: string) {
    const rows = await this.db('tokens')
      .where({ instance_id: instanceId, user_id: userId })
      .orderBy('created_at', 'desc');
    return rows.map(tokens.fromRow);
  }

  async get(instanceId: string, userId: string, id: string) {
    const row = await this.db('tokens').where({ instance_id: instanceId, user_id: userId, id }).first();
    return row ? tokens.fromRow(row) : undefined;
  }

  async delete(instanceId: string, userId: string, id: string) {
    return (await this.db('tokens').where({ instance_id: instanceId, user_id: userId, id }).delete()) > 0;
  }

  async deleteForUser(instanceId: string, userId: string, filter: { clientId: string; exceptId?: string }) {
    const query = this.db('tokens').where({ instance_id: instanceId, user_id: userId, client_id: filter.clientId });
    if (filter.exceptId) query.whereNot('id', filter.exceptId);
    return query.delete();
  }

  async deleteAllForUser(instanceId: string, userId: string) {
    return this.db('tokens').where({ instance_id: instanceId, user_id: userId }).delete();
  }

  async deleteForInstance(instanceId: string, clientId?: string) {
    const query = this.db('tokens').where({ instance_id: instanceId });
    return clientId ? query.andWhere({ client_id: clientId }).delete() : query.delete();
  }

  async lastActivity(instanceId: string, clientId: string) {
    const row = await this.db('tokens').where({ instance_id: instanceId, client_id: clientId }).max({ used: 'last_used_at', created: 'created_at' }).first();
    const times = [row?.used, row?.created].filter((t): t is string => typeof t === 'string');
    return times.length ? times.sort()[times.length - 1] : null;
  }

  async touch(id: string, at: string) {
    await this.db('tokens').where({ id }).update(tokens.toRow({ lastUsedAt: at }));
  }
}
