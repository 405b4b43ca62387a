import type { Resolver } from 'node:dns/promises';
import type { DnsProvider, DnsProviders, DnsZone } from '../domains/dns-provider';
import type { Domain } from '../domains/domain-repo';
import { configuredResolver } from '../domains/dns-resolver';
import type { Dns01Records } from './acme-issuer';

export interface DnsChallengeOptions {
  providers: DnsProviders;
  /** BERTH_DNS_SERVERS: the resolvers that must see a record before the CA is asked to look (empty: the system's). */
  dnsServers: string[];
  /** BERTH_ACME_DNS_WAIT_SECS: how long they may take. */
  waitSecs: number;
  /** Between two looks. */
  pollMs?: number;
}

/**
 * DNS-01 answers through a domain's own DNS provider, used only through the DnsProvider interface. A record
 * written is not yet a record seen: secondaries and caches lag, and a CA that looks too early fails the order
 * for good. So `publish` returns only once the configured resolvers (those `dns_check` asks) return every value.
 */
export class DnsChallenges {
  constructor(private readonly options: DnsChallengeOptions) {}

  /** The TXT records of one domain's challenges, each step told to `log`. */
  of(domain: Domain, log: (line: string) => void): Dns01Records {
    const zone: DnsZone = { domain: domain.domain, zoneName: domain.zoneName, config: domain.config };
    return {
      publish: async (records) => {
        const provider = this.writer(domain);
        for (const [name, values] of records) {
          await provider.upsert(zone, name, 'TXT', values);
          log(`TXT record ${name} written through ${provider.name} (${values.length} value(s)); waiting until the DNS resolvers see it`);
        }
        await this.visible(records, log);
      },
      clear: async (names) => {
        // Nothing was written through a provider the box lacks or one that writes nothing.
        const provider = this.options.providers.get(domain.provider);
        if (!provider || provider.passive) return;
        for (const name of names) {
          try {
            await provider.remove(zone, name, 'TXT');
            log(`TXT record ${name} removed`);
          } catch (err) {
            log(`TXT record ${name} could not be removed: ${(err as Error).message}`);
          }
        }
      },
    };
  }

  private writer(domain: Domain): DnsProvider {
    const provider = this.options.providers.get(domain.provider);
    if (!provider) throw new Error(`the domain uses DNS provider ${domain.provider}, which this box does not offer`);
    if (provider.passive) throw new Error(`DNS provider ${provider.name} does not write records: a wildcard certificate needs one that does`);
    return provider;
  }

  /** Polls until each name has all its values, or fails naming what was missing at the end. */
  private async visible(records: Map<string, string[]>, log: (line: string) => void): Promise<void> {
    const resolver = configuredResolver(this.options.dnsServers);
    const started = Date.now();
    const deadline = started + this.options.waitSecs * 1000;
    for (;;) {
      let missing = '';
      for (const [name, values] of records) {
        missing = await lookFor(resolver, name, values);
        if (missing) break;
      }
      if (!missing) {
        log(`the DNS resolvers see the TXT records after ${Math.round((Date.now() - started) / 1000)}s`);
        return;
      }
      if (Date.now() >= deadline) {
        const servers = this.options.dnsServers.length ? this.options.dnsServers.join(', ') : "the system's resolvers";
        throw new Error(`the TXT records were not visible to ${servers} within ${this.options.waitSecs}s (${missing})`);
      }
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 2000));
    }
  }
}

/** '' when `name` holds every value (others may be there too), else what is missing, for the error. */
async function lookFor(resolver: Resolver, name: string, values: string[]): Promise<string> {
  let seen: string[];
  try {
    seen = (await resolver.resolveTxt(name)).map((strings) => strings.join(''));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENODATA' && code !== 'ENOTFOUND') return `${name}: no answer (${code ?? (err as Error).message})`;
    seen = [];
  }
  const unseen = values.filter((v) => !seen.includes(v)).length;
  return unseen ? `${name}: ${unseen} of ${values.length} value(s) not seen yet` : '';
}
