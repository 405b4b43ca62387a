import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { notFound, unauthorized, validationError } from '../core/errors';
import type { Principal } from '../auth/principal';
import type { Token, TokenRepo, TokenScope } from './token-repo';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';

/** Login tokens (from activate and login) and API tokens (from POST /tokens) are told apart as Cloudron does. */
export const CLIENT_LOGIN = 'cid-webadmin';
export const CLIENT_API = 'cid-api';

const LOGIN_TOKEN_LIFETIME_MS = 7 * 24 * 3600 * 1000;
/** last_used_at is written at most this often per token, so authentication stays a read. */
const TOUCH_INTERVAL_MS = 60 * 1000;
const SECRET_PREFIX = 'bt_';

export interface IssuedToken {
  token: Token;
  /** The secret, shown to its owner once and never stored. */
  secret: string;
}

export interface NewToken {
  instanceId: string;
  userId: string;
  name: string;
  clientId: string;
  scope?: TokenScope;
  expiresAt?: string | null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class TokenService {
  constructor(
    private readonly deps: { tokens: TokenRepo; clock: Clock; eventlog?: EventlogService },
  ) {}

  /** Builds a token and its secret; the caller stores it (possibly inside a transaction) with `tokens.insert`. */
  build(input: NewToken): IssuedToken {
    const now = this.deps.clock();
    const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt =
      input.expiresAt !== undefined
        ? input.expiresAt
        : input.clientId === CLIENT_LOGIN
          ? new Date(now.getTime() + LOGIN_TOKEN_LIFETIME_MS).toISOString()
          : null;
    const token: Token = {
      id: newId('tid'),
      instanceId: input.instanceId,
      userId: input.userId,
      name: input.name,
      tokenHash: hashSecret(secret),
      clientId: input.clientId,
      scope: input.scope ?? 'rw',
      expiresAt,
      lastUsedAt: null,
      createdAt: now.toISOString(),
    };
    return { token, secret };
  }

  async issue(input: NewToken, tokens: TokenRepo = this.deps.tokens): Promise<IssuedToken> {
    const issued = this.build(input);
    await tokens.insert(issued.token);
    return issued;
  }

  /** An API token for the caller. `expiresAt` must lie in the future. */
  async create(principal: Principal, actor: Actor, input: { name: string; scope?: TokenScope; expiresAt?: string }): Promise<IssuedToken> {
    let expiresAt: string | null = null;
    if (input.expiresAt !== undefined) {
      const when = new Date(input.expiresAt);
      if (Number.isNaN(when.getTime())) throw validationError('expiresAt must be a date-time', { field: 'expiresAt' });
      if (when.getTime() <= this.deps.clock().getTime()) {
        throw validationError('expiresAt must be in the future', { field: 'expiresAt' });
      }
      expiresAt = when.toISOString();
    }
    const scope: TokenScope = input.scope ?? 'rw';
    const issued = await this.issue({
      instanceId: principal.instanceId,
      userId: principal.userId,
      name: input.name.trim(),
      clientId: CLIENT_API,
      scope,
      expiresAt,
    });
    await this.deps.eventlog?.record(actor, 'token.add', issued.token.id, { name: issued.token.name, scope, expiresAt });
    return issued;
  }

  /** Resolves a bearer secret to a principal; unknown, expired, revoked or inactive-user tokens are all 401. */
  async authenticate(secret: unknown): Promise<Principal> {
    // A repeated `access_token` arrives as an array: never a valid token.
    if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX) || secret.length > 128) throw unauthorized('Invalid token');
    const found = await this.deps.tokens.findByHash(hashSecret(secret));
    if (!found) throw unauthorized('Invalid token');
    const { token, user } = found;
    const now = this.deps.clock();
    if (token.expiresAt && token.expiresAt <= now.toISOString()) throw unauthorized('Token expired');
    if (!user.active) throw unauthorized('User is not active');
    if (!token.lastUsedAt || now.getTime() - Date.parse(token.lastUsedAt) > TOUCH_INTERVAL_MS) {
      await this.deps.tokens.touch(token.id, now.toISOString());
    }
    return {
      instanceId: token.instanceId,
      userId: token.userId,
      role: user.role,
      tokenId: token.id,
      readOnly: token.scope === 'r',
    };
  }

  list(principal: Principal): Promise<Token[]> {
    return this.deps.tokens.listForUser(principal.instanceId, principal.userId);
  }

  async get(principal: Principal, id: string): Promise<Token> {
    const token = await this.deps.tokens.get(principal.instanceId, principal.userId, id);
    if (!token) throw notFound('No such token');
    return token;
  }

  async revoke(principal: Principal, id: string, actor?: Actor): Promise<void> {
    if (!(await this.deps.tokens.delete(principal.instanceId, principal.userId, id))) throw notFound('No such token');
    if (actor) await this.deps.eventlog?.record(actor, 'token.remove', id);
  }

  /** After a password change: every other login session of the user ends. API tokens stay. */
  revokeOtherLogins(principal: Principal): Promise<number> {
    return this.deps.tokens.deleteForUser(principal.instanceId, principal.userId, {
      clientId: CLIENT_LOGIN,
      exceptId: principal.tokenId,
    });
  }
}
