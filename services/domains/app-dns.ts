import type { Clock } from '../core/clock';
import { conflict, validationError } from '../core/errors';
import type { App } from '../apps/app-repo';
import { hostsOf, type AppDnsStep, type AppHost } from '../apps/app-dns-step';
import type { BoxIp } from './box-ip';
import type { DnsProviders } from './dns-provider';
import type { DnsRecordRepo } from './dns-record-repo';
import type { Domain, DomainRepo } from './domain-repo';

/** The `app_id` of the dashboard's records in `dns_records`: no app has it, so no app takes its name. */
export const dashboardOwner = (instanceId: string) => `dashboard-${instanceId}`;

/**
 * Apps' A records through their domain's provider. `dns_records` remembers what Berth wrote, so a record
 * someone else made is only replaced when the caller said `overwriteDns`, and moving an app removes its old names.
 */
export class AppDns implements AppDnsStep {
  constructor(private readonly deps: { domains: DomainRepo; records: DnsRecordRepo; providers: DnsProviders; boxIp: BoxIp; clock: Clock }) {}

  async check(instanceId: string, appId: string, hosts: AppHost[], overwrite: boolean): Promise<void> {
    const seen = new Set<string>();
    for (const host of hosts) {
      if (seen.has(host.fqdn)) throw validationError(`alternateDomains: ${host.fqdn} is given twice (or is the app's own address)`, { field: 'alternateDomains' });
      seen.add(host.fqdn);
    }
    const ip = await this.deps.boxIp.of(instanceId);
    for (const host of hosts) {
      const domain = await this.domain(instanceId, host.domain);
      const mine = await this.deps.records.find(host.fqdn, 'A');
      if (mine && mine.appId !== appId) {
        const user = mine.appId === dashboardOwner(instanceId) ? 'the dashboard' : 'another app';
        throw conflict(`${host.fqdn} is already used by ${user}`, { field: 'location' });
      }
      if (mine || overwrite) continue;
      const existing = await this.provider(domain).get(zoneOf(domain), host.fqdn, 'A');
      if (existing.some((value) => value !== ip)) {
        throw conflict(`DNS already has ${host.fqdn} pointing at ${existing.join(', ')}, not at this box (${ip}); set overwriteDns to replace it`, {
          field: 'overwriteDns',
        });
      }
    }
  }

  async sync(app: App): Promise<void> {
    await this.syncOwned(app.instanceId, app.id, hostsOf(app));
  }

  /**
   * Points `wanted` at the box for `owner` (an app id, or DASHBOARD_OWNER's for the dashboard) and takes back
   * the names the owner had before and no longer wants. Idempotent.
   */
  async syncOwned(instanceId: string, owner: string, wanted: AppHost[]): Promise<void> {
    const ip = await this.deps.boxIp.of(instanceId);
    for (const record of await this.deps.records.ofApp(owner)) {
      if (!wanted.some((h) => h.fqdn === record.fqdn)) await this.take(instanceId, record.domain, record.fqdn);
    }
    for (const host of wanted) {
      const domain = await this.domain(instanceId, host.domain);
      await this.provider(domain).upsert(zoneOf(domain), host.fqdn, 'A', [ip]);
      await this.deps.records.save({
        instanceId,
        appId: owner,
        domain: domain.domain,
        fqdn: host.fqdn,
        type: 'A',
        value: ip,
        createdAt: this.deps.clock().toISOString(),
      });
    }
  }

  async remove(app: App): Promise<void> {
    await this.removeOwned(app.instanceId, app.id);
  }

  /** Removes every record Berth wrote for `owner` (an app id, or the dashboard's). Idempotent. */
  async removeOwned(instanceId: string, owner: string): Promise<void> {
    for (const record of await this.deps.records.ofApp(owner)) await this.take(instanceId, record.domain, record.fqdn);
  }

  /** Removes a record Berth wrote; when its domain is gone meanwhile, only Berth's memory of it. */
  private async take(instanceId: string, domainName: string, fqdn: string): Promise<void> {
    const domain = await this.deps.domains.get(instanceId, domainName);
    if (domain) await this.provider(domain).remove(zoneOf(domain), fqdn, 'A');
    await this.deps.records.remove(fqdn, 'A');
  }

  private async domain(instanceId: string, name: string): Promise<Domain> {
    const domain = await this.deps.domains.get(instanceId, name);
    if (!domain) throw validationError(`No such domain ${name}: add it first (POST /api/v1/domains)`, { field: 'domain' });
    return domain;
  }

  private provider(domain: Domain) {
    const provider = this.deps.providers.get(domain.provider);
    if (!provider) throw validationError(`The domain ${domain.domain} uses provider ${domain.provider}, which this box does not offer`, { field: 'domain' });
    return provider;
  }
}

const zoneOf = (d: Domain) => ({ domain: d.domain, zoneName: d.zoneName, config: d.config });
