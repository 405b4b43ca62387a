import type { Db } from '../db/database';
import { bool } from '../db/database';
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

interface TokenRow {
  id: string;
  instance_id: string;
  user_id: string;
  name: string;
  token_hash: string;
  client_id: string;
  scope: TokenScope;
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

const fromRow = (row: TokenRow): Token => ({
  id: row.id,
  instanceId: row.instance_id,
  userId: row.user_id,
  name: row.name,
  tokenHash: row.token_hash,
  clientId: row.client_id,
  scope: row.scope,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
  createdAt: row.created_at,
});

export class KnexTokenRepo implements TokenRepo {
  constructor(private readonly db: Db) {}

  async insert(token: Token) {
    await this.db('tokens').insert({
      id: token.id,
      instance_id: token.instanceId,
      user_id: token.userId,
      name: token.name,
      token_hash: token.tokenHash,
      client_id: token.clientId,
      scope: token.scope,
      expires_at: token.expiresAt,
      last_used_at: token.lastUsedAt,
      created_at: token.createdAt,
    });
  }

  async findByHash(tokenHash: string) {
    const row = await this.db('tokens')
      .join('users', 'users.id', 'tokens.user_id')
      .where('tokens.token_hash', tokenHash)
      .first('tokens.*', 'users.role as user_role', 'users.active as user_active');
    if (!row) return undefined;
    return { token: fromRow(row as TokenRow), user: { role: row.user_role as Role, active: bool(row.user_active) } };
  }

  async listForUser(instanceId: string, userId: string) {
    const rows = await this.db<TokenRow>('tokens')
      .where({ instance_id: instanceId, user_id: userId })
      .orderBy('created_at', 'desc');
    return rows.map(fromRow);
  }

  async get(instanceId: string, userId: string, id: string) {
    const row = await this.db<TokenRow>('tokens').where({ instance_id: instanceId, user_id: userId, id }).first();
    return row && fromRow(row);
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
    await this.db('tokens').where({ id }).update({ last_used_at: at });
  }
}
