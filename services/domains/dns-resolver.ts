import { Resolver } from 'node:dns/promises';

/**
 * A resolver that asks BERTH_DNS_SERVERS (the system's resolvers when none are set): what `dns_check` and the
 * DNS-01 wait query, so both see the DNS as the same servers do.
 */
export function configuredResolver(servers: string[]): Resolver {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers.length) resolver.setServers(servers);
  return resolver;
}
