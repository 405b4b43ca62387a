import { AppDns } from '../../services/domains/app-dns';
import { BoxIp } from '../../services/domains/box-ip';
import { CloudflareProvider } from '../../services/domains/cloudflare-provider';
import { DigitalOceanProvider } from '../../services/domains/digitalocean-provider';
import { DnsProviders, PassiveProvider } from '../../services/domains/dns-provider';
import { SYNC_DOMAIN_TASK_TYPE } from '../../services/domains/domain-tasks';
import { DomainService } from '../../services/domains/domain-service';
import { OpensslFallbackCertificates } from '../../services/domains/fallback-cert';
import { JsonApi } from '../../services/domains/json-api';
import { PowerDnsProvider } from '../../services/domains/powerdns-provider';
import { Rfc2136Provider } from '../../services/domains/rfc2136-provider';
import { Route53Provider } from '../../services/domains/route53-provider';
import type { Core } from './core';
import type { Identity } from './identity';
import type { Tasks } from './tasks';

export type Domains = ReturnType<typeof composeDomains>;

/**
 * A tenant's domains, the DNS providers and the app DNS step. The `syncDomain` type is this module's; its run
 * function republishes the dashboard too, so it is bound with the dashboard's in cloudron.ts.
 */
export function composeDomains({ config, store, clock }: Core, { eventlog }: Identity, { types, tasks }: Tasks) {
  types.add(SYNC_DOMAIN_TASK_TYPE);
  const timeoutSecs = config.dnsTimeoutSecs;
  const providers = new DnsProviders([
    new PassiveProvider('noop'),
    new PassiveProvider('manual'),
    new PassiveProvider('wildcard'),
    new Rfc2136Provider({ nsupdate: config.nsupdate, timeoutSecs }),
    new PowerDnsProvider({ timeoutSecs }),
    // The cloud APIs' addresses are the operator's (config), never a tenant's: no pointing Berth at other hosts.
    new CloudflareProvider(new JsonApi({ label: 'Cloudflare', baseUrl: config.dnsApis.cloudflare, timeoutSecs })),
    new DigitalOceanProvider(new JsonApi({ label: 'DigitalOcean', baseUrl: config.dnsApis.digitalocean, timeoutSecs })),
    new Route53Provider({ endpoint: config.dnsApis.route53, timeoutSecs }),
  ]);
  const boxIp = new BoxIp({ settings: store.settings, publicIp: config.publicIp });
  const domains = new DomainService({
    domains: store.domains,
    apps: store.apps,
    certificateRepo: store.certificates,
    providers,
    certificates: new OpensslFallbackCertificates(),
    boxIp,
    eventlog,
    clock,
    dnsServers: config.dnsServers,
    tasks,
  });
  const appDns = new AppDns({ domains: store.domains, records: store.dnsRecords, providers, boxIp, clock });
  return { providers, domains, appDns };
}
