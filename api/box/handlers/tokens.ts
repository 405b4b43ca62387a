import type { Token } from '../../../services/tokens/token-repo';
import type { BoxHandlers } from '../handler-types';
import { actorOf, type BoxServices, noContent, ok, principalOf } from '../services';

/** Token JSON as Cloudron shapes it. The hash never leaves the database. */
export function renderToken(token: Token) {
  return {
    id: token.id,
    name: token.name,
    identifier: token.userId,
    clientId: token.clientId,
    scope: { '*': token.scope },
    expires: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    creationTime: token.createdAt,
  };
}

export function tokenHandlers(s: BoxServices) {
  return {
    listTokens: async (call) => ok({ tokens: (await s.tokens.list(principalOf(call))).map(renderToken) }),
    createToken: async (call) => {
      const { name, expiresAt, scope } = call.body;
      const issued = await s.tokens.create(principalOf(call), actorOf(call), { name, expiresAt, scope: scope?.['*'] });
      return { status: 201, body: { ...renderToken(issued.token), accessToken: issued.secret } };
    },
    getToken: async (call) => ok(renderToken(await s.tokens.get(principalOf(call), call.params.tokenId))),
    deleteToken: async (call) => {
      await s.tokens.revoke(principalOf(call), call.params.tokenId, actorOf(call));
      return noContent();
    },
  } satisfies Partial<BoxHandlers>;
}
