import type { App } from './app-repo';

/** A name an app is reached at: its fqdn and each alternate domain. */
export interface AppHost {
  domain: string;
  fqdn: string;
}

export function hostsOf(app: Pick<App, 'domain' | 'fqdn' | 'alternateDomains'>): AppHost[] {
  return [
    { domain: app.domain, fqdn: app.fqdn },
    ...app.alternateDomains.map((alt) => ({ domain: alt.domain, fqdn: alt.subdomain ? `${alt.subdomain}.${alt.domain}` : alt.domain })),
  ];
}

/**
 * What app operations ask before a task starts, and what the app task does to DNS. Apps own this interface;
 * the domains module implements it (`AppDns`, services/domains/app-dns.ts) with the domain's DNS provider.
 */
export interface AppDnsStep {
  /** 400 for a domain the tenant has not added; 409 for a record Berth did not write, unless `overwrite`. */
  check(instanceId: string, appId: string, hosts: AppHost[], overwrite: boolean): Promise<void>;
  /** Makes the app's A records point at the box and takes back the ones it no longer needs. Idempotent. */
  sync(app: App): Promise<void>;
  /** Removes every record Berth wrote for the app. Idempotent. */
  remove(app: App): Promise<void>;
}
