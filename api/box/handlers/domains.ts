import type { BoxHandlers } from '../handler-types';
import { actorOf, type BoxServices, noContent, ok, principalOf } from '../services';

export function domainHandlers(s: BoxServices) {
  return {
    listDomains: async (call) => ok({ domains: await s.domains.list(principalOf(call).instanceId) }),
    addDomain: async (call) => ({ status: 201, body: await s.domains.add(actorOf(call), call.body) }),
    getDomain: async (call) => ok(await s.domains.get(principalOf(call).instanceId, call.params.domain)),
    updateDomain: async (call) => {
      await s.domains.update(actorOf(call), call.params.domain, call.body);
      return noContent();
    },
    removeDomain: async (call) => {
      await s.domains.remove(actorOf(call), call.params.domain);
      return noContent();
    },
    checkDomainDns: async (call) => ok(await s.domains.dnsCheck(principalOf(call).instanceId, call.params.domain, call.query.subdomain)),
  } satisfies Partial<BoxHandlers>;
}
