import { CLIENT_LOGIN } from '../../../services/tokens/token-service';
import type { SchedulerHandlers } from '../handler-types';
import { actorOf, ok, principalOf, type SchedulerServices } from '../services';

/**
 * Ofelia's login and refresh over Berth's own tokens: the same accounts, throttle and revocable tokens as the box
 * API (`POST /api/v1/cloudron/login`), so a token from either works on both.
 */
export function authHandlers(s: SchedulerServices) {
  return {
    schedulerLogin: async (call) => {
      // The tenant is the one the Host names, as for the box API's public routes.
      const tenant = await s.instances.resolveByHost(call.req.headers.host);
      await s.instances.assertOpen(tenant.id);
      const result = await s.cloudron.login(tenant, { ...call.body, address: call.ip });
      return ok({ token: result.token, expires: result.expiresAt });
    },

    /**
     * The new token is written before the old one is revoked: a failure in between leaves the caller with a
     * working token, never without one. A login token gets a fresh lifetime; an API token keeps its expiry, so a
     * refresh cannot turn a short-lived token into a longer one.
     */
    schedulerRefresh: async (call) => {
      const principal = principalOf(call);
      const old = await s.tokens.get(principal, principal.tokenId);
      const issued = await s.tokens.issue({
        instanceId: principal.instanceId,
        userId: principal.userId,
        name: old.name,
        clientId: old.clientId,
        scope: old.scope,
        expiresAt: old.clientId === CLIENT_LOGIN ? undefined : old.expiresAt,
      });
      await s.tokens.revoke(principal, old.id, actorOf(call));
      return ok({ token: issued.secret, expires: issued.token.expiresAt });
    },
  } satisfies Partial<SchedulerHandlers>;
}
