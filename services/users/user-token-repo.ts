import type { Db } from '../db/database';
import { mapTable, text } from '../db/columns';

export type UserTokenKind = 'invite' | 'reset';

export interface UserToken {
  tokenHash: string;
  instanceId: string;
  userId: string;
  kind: UserTokenKind;
  expiresAt: string;
  createdAt: string;
}

export interface UserTokenRepo {
  /** Stores the token, replacing the user's previous one of the same kind (which stops working). */
  replace(token: UserToken): Promise<void>;
  find(tokenHash: string, kind: UserTokenKind): Promise<UserToken | undefined>;
  /** Deletes the token; false when it was already used (so a token works once even under a race). */
  consume(tokenHash: string): Promise<boolean>;
}

const userTokens = mapTable<UserToken>('user_tokens', {
  tokenHash: text(),
  instanceId: text(),
  userId: text(),
  kind: text(),
  expiresAt: text(),
  createdAt: text(),
});

export class KnexUserTokenRepo implements UserTokenRepo {
  constructor(private readonly db: Db) {}

  async replace(token: UserToken) {
    await this.db('user_tokens').where({ user_id: token.userId, kind: token.kind }).delete();
    await this.db('user_tokens').insert(userTokens.toRow(token));
  }

  async find(tokenHash: string, kind: UserTokenKind) {
    const row = await this.db('user_tokens').where({ token_hash: tokenHash, kind }).first();
    return row ? userTokens.fromRow(row) : undefined;
  }

  async consume(tokenHash: string) {
    return (await this.db('user_tokens').where({ token_hash: tokenHash }).delete()) > 0;
  }
}
