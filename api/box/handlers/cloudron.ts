import type { BoxHandlers } from '../handler-types';
import { type BoxServices, noContent, ok, principalOf, tenantOf } from '../services';

export function cloudronHandlers(s: BoxServices) {
  return {
    getStatus: async (call) => ok(await s.cloudron.status(await tenantOf(s, call))),

    setup: async (call) => ok(await s.setup.start(await tenantOf(s, call), call.body, call.ip || null)),

    restore: async (call) => ok({ taskId: await s.restore.start(await tenantOf(s, call), call.body, call.ip || null) }),

    activate: async (call) => {
      const result = await s.cloudron.activate(await tenantOf(s, call), call.body, call.ip || null);
      return { status: 201, body: { userId: result.user.id, token: result.token, expires: result.expires } };
    },

    login: async (call) => {
      const tenant = await tenantOf(s, call);
      const result = await s.cloudron.login(tenant, { ...call.body, address: call.ip });
      return ok({ token: result.token, expiresAt: result.expiresAt });
    },

    logout: async (call) => {
      await s.cloudron.logout(principalOf(call), call.ip || null);
      return noContent();
    },

    getConfig: async (call) => ok(await s.cloudron.config(principalOf(call).instanceId)),
  } satisfies Partial<BoxHandlers>;
}
