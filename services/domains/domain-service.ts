import type { Clock } from '../core/clock';
import { conflict, notFound, validationError } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import type { AppRepo } from '../apps/app-repo';
import type { CertificateRepo } from '../certificates/certificate-repo';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { BoxIp } from './box-ip';
import { SECRET_PLACEHOLDER, type DnsProvider, type DnsProviders } from './dns-provider';
import type { Domain, DomainRepo, TlsConfig } from './domain-repo';
import { checkDomainName, isWithin } from './domain-name';
import { configuredResolver } from './dns-resolver';
import { checkCertificatePair, type FallbackCertificates } from './fallback-cert';
import type { DomainChange } from './domain-sync';
import { domainObjectKey, SYNC_DOMAIN_TASK_TYPE } from './domain-tasks';
import type { TaskService } from '../tasks/task-service';

export interface DomainInput {
  domain?: string;
  zoneName?: string;
  provider: string;
  config: Record<string, unknown>;
  tlsConfig?: { provider?: string; wildcard?: boolean; acmeDirectoryUrl?: string };
  fallbackCertificate?: { cert: string; key: string } | null;
  wellKnown?: Record<string, string> | null;
  /** Accepted for Cloudron clients; Berth does not use hyphenated subdomains. */
  hyphenatedSubdomains?: boolean;
  wildcard?: boolean;
}

/** A domain as clients see it: provider secrets replaced, the fallback certificate without its key. */
export interface DomainView {
  domain: string;
  zoneName: string;
  provider: string;
  config: Record<string, unknown>;
  tlsConfig: TlsConfig;
  wellKnown: Record<string, string> | null;
  fallbackCertificate: { cert: string };
  locked: boolean;
  certificates?: { fqdn: string; issuer: string; notAfter: string }[];
}

const TLS_PROVIDERS = ['letsencrypt-prod', 'letsencrypt-staging', 'acme', 'fallback'];

export interface DomainServiceDeps {
  domains: DomainRepo;
  /** Which apps use a domain (it cannot be removed under them). */
  apps: AppRepo;
  /** The ACME certificates a domain's view lists. */
  certificateRepo: CertificateRepo;
  providers: DnsProviders;
  certificates: FallbackCertificates;
  boxIp: BoxIp;
  eventlog: EventlogService;
  clock: Clock;
  /** DNS servers dns_check asks (BERTH_DNS_SERVERS); empty: the system's. */
  dnsServers: string[];
  /** Runs the `syncDomain` task for the names at a changed domain. */
  tasks: Pick<TaskService, 'create'>;
}

/** A tenant's domains: which DNS provider manages each, with what settings, and its TLS settings. */
export class DomainService {
  constructor(private readonly deps: DomainServiceDeps) {}

  async list(instanceId: string): Promise<DomainView[]> {
    return (await this.deps.domains.list(instanceId)).map((d) => this.view(d));
  }

  /** With the ACME certificates of names in the domain (their expiry; never a key). */
  async get(instanceId: string, name: string): Promise<DomainView> {
    const domain = await this.find(instanceId, name);
    const certificates = (await this.deps.certificateRepo.list(instanceId))
      .filter((c) => isWithin(c.fqdn, domain.domain))
      .map((c) => ({ fqdn: c.fqdn, issuer: c.issuer, notAfter: c.notAfter }));
    return { ...this.view(domain), certificates };
  }

  /** Checks the settings with the provider (a live call for providers with a server) before anything is stored. */
  async add(actor: Actor, input: DomainInput): Promise<DomainView> {
    const name = checkDomainName(input.domain, 'domain');
    const now = this.deps.clock().toISOString();
    const domain: Domain = {
      domain: name,
      instanceId: actor.instanceId,
      ...(await this.checked(name, input, undefined)),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.deps.domains.insert(domain);
    } catch (err) {
      // A name is one tenant's on the whole box: the reverse proxy and certificates are shared.
      if (isUniqueViolation(err)) throw conflict(`The domain ${name} is already added`, { field: 'domain' });
      throw err;
    }
    // Its well-known documents are served by the proxy: the sync task publishes them.
    if (domain.wellKnown) await this.startSync(actor.instanceId, name, { dns: false, proxy: true });
    await this.deps.eventlog.record(actor, 'domain.add', name, this.auditData(domain));
    return this.view(domain);
  }

  /**
   * Replaces the settings; a secret sent back as `<hidden>` keeps the stored one. When what the names at the
   * domain are served with changed, a `syncDomain` task (its id in `taskId`) brings the apps and the dashboard
   * there up to date: their records through the new provider or zone, the proxy with the new certificate.
   */
  async update(actor: Actor, rawName: string, input: DomainInput): Promise<DomainView & { taskId?: number }> {
    const current = await this.find(actor.instanceId, rawName);
    const updated: Domain = { ...current, ...(await this.checked(current.domain, input, current)), updatedAt: this.deps.clock().toISOString() };
    await this.deps.domains.update(updated);
    const change = changeOf(current, updated);
    const taskId = change.dns || change.proxy ? await this.startSync(actor.instanceId, updated.domain, change) : undefined;
    await this.deps.eventlog.record(actor, 'domain.update', current.domain, { ...this.auditData(updated), ...(taskId ? { taskId } : {}) });
    return { ...this.view(updated), ...(taskId ? { taskId } : {}) };
  }

  /** 409 while an app of the tenant is installed at the domain (or has it as an alternate domain). */
  async remove(actor: Actor, rawName: string): Promise<void> {
    const domain = await this.find(actor.instanceId, rawName);
    const users = (await this.deps.apps.list(actor.instanceId)).filter(
      (app) => app.domain === domain.domain || app.alternateDomains.some((alt) => alt.domain === domain.domain),
    );
    if (users.length) {
      throw conflict(`The domain ${domain.domain} is still used by ${users.length} app(s): ${users.map((a) => a.fqdn).join(', ')}`, { field: 'domain' });
    }
    await this.deps.domains.delete(actor.instanceId, domain.domain);
    // The sync task of a domain that is gone takes its well-known site back.
    if (domain.wellKnown) await this.startSync(actor.instanceId, domain.domain, { dns: false, proxy: true });
    await this.deps.eventlog.record(actor, 'domain.remove', domain.domain, { provider: domain.provider });
  }

  /**
   * What the world's DNS says about `subdomain.domain` now (real queries, to BERTH_DNS_SERVERS or the system's
   * servers): `needsOverwrite` when it has A records pointing somewhere other than the box.
   */
  async dnsCheck(instanceId: string, rawName: string, subdomain: string | undefined) {
    const domain = await this.find(instanceId, rawName);
    const label = String(subdomain ?? '').trim().toLowerCase();
    const fqdn = label ? `${label}.${domain.domain}` : domain.domain;
    checkDomainName(fqdn, 'subdomain');
    const ip = await this.deps.boxIp.of(instanceId);
    const resolver = configuredResolver(this.deps.dnsServers);
    let records: string[];
    try {
      records = await resolver.resolve4(fqdn);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (code !== 'ENODATA' && code !== 'ENOTFOUND') {
        throw validationError(`The DNS servers did not answer for ${fqdn} (${code || (err as Error).message})`, { field: 'subdomain' });
      }
      records = [];
    }
    return { fqdn, ip, records, needsOverwrite: records.some((r) => r !== ip) };
  }

  /** The stored domain, with its secrets: for the reverse proxy and the DNS step of app tasks. */
  async internal(instanceId: string, name: string): Promise<Domain | undefined> {
    return this.deps.domains.get(instanceId, name);
  }

  /** Starts the `syncDomain` task for the names at a changed domain; returns its id. */
  private async startSync(instanceId: string, domain: string, change: DomainChange): Promise<number> {
    const task = await this.deps.tasks.create(SYNC_DOMAIN_TASK_TYPE, { instanceId, args: { instanceId, domain, ...change }, objectKey: domainObjectKey(instanceId, domain) });
    return task.id;
  }

  private async find(instanceId: string, rawName: string): Promise<Domain> {
    const name = String(rawName ?? '').trim().toLowerCase().replace(/\.$/, '');
    const domain = await this.deps.domains.get(instanceId, name);
    if (!domain) throw notFound(`No such domain ${name}`);
    return domain;
  }

  private provider(name: string): DnsProvider {
    const provider = this.deps.providers.get(name);
    if (!provider) {
      throw validationError(`provider must be one of ${this.deps.providers.names().join(', ')}; "${name}" is not supported`, { field: 'provider' });
    }
    return provider;
  }

  private async checked(name: string, input: DomainInput, current: Domain | undefined) {
    const provider = this.provider(input.provider);
    const zoneName = input.zoneName ? checkDomainName(input.zoneName, 'zoneName') : (current?.zoneName ?? name);
    if (!isWithin(name, zoneName)) throw validationError(`zoneName must be ${name} or one of its parent domains`, { field: 'zoneName' });
    const tlsProvider = input.tlsConfig?.provider ?? current?.tlsConfig.provider ?? 'letsencrypt-prod';
    if (!TLS_PROVIDERS.includes(tlsProvider)) throw validationError(`tlsConfig.provider must be one of ${TLS_PROVIDERS.join(', ')}`, { field: 'tlsConfig.provider' });
    const tlsConfig: TlsConfig = { provider: tlsProvider as TlsConfig['provider'], wildcard: input.tlsConfig?.wildcard ?? current?.tlsConfig.wildcard ?? false };
    if (tlsProvider === 'acme') tlsConfig.acmeDirectoryUrl = checkDirectoryUrl(input.tlsConfig?.acmeDirectoryUrl ?? current?.tlsConfig.acmeDirectoryUrl);
    if (tlsConfig.wildcard) checkWildcard(tlsConfig, provider, this.writers());

    // Secrets the client could not see come back as the placeholder: keep the stored ones (same provider only).
    const given = { ...(input.config ?? {}) };
    for (const key of provider.secretKeys) {
      if (given[key] === SECRET_PLACEHOLDER) {
        if (current?.provider !== provider.name || current.config[key] === undefined) {
          throw validationError(`config.${key} is required`, { field: `config.${key}` });
        }
        given[key] = current.config[key];
      }
    }
    const config = await provider.verify({ domain: name, zoneName, config: given });

    const fallbackCertificate = input.fallbackCertificate
      ? checkCertificatePair(input.fallbackCertificate, name, this.deps.clock())
      : (current?.fallbackCertificate ?? (await this.deps.certificates.create(name)));
    const wellKnown = input.wellKnown === undefined ? (current?.wellKnown ?? null) : checkWellKnown(input.wellKnown);
    return { zoneName, provider: provider.name, config, tlsConfig, fallbackCertificate, wellKnown };
  }

  /** The providers that write records: those a wildcard domain may use. */
  private writers(): string[] {
    return this.deps.providers.names().filter((name) => !this.deps.providers.get(name)?.passive);
  }

  private view(domain: Domain): DomainView {
    const provider = this.deps.providers.get(domain.provider);
    const config = { ...domain.config };
    for (const key of provider?.secretKeys ?? []) if (key in config) config[key] = SECRET_PLACEHOLDER;
    return {
      domain: domain.domain,
      zoneName: domain.zoneName,
      provider: domain.provider,
      config,
      tlsConfig: domain.tlsConfig,
      wellKnown: domain.wellKnown,
      fallbackCertificate: { cert: domain.fallbackCertificate.cert },
      locked: false,
    };
  }

  /** What the audit log keeps: never the settings' values, only which ones were given. */
  private auditData(domain: Domain) {
    return { provider: domain.provider, zoneName: domain.zoneName, configKeys: Object.keys(domain.config), tlsConfig: domain.tlsConfig };
  }
}

/** One or more path segments under /.well-known/ (`matrix/server`); ACME's challenges stay the proxy's. */
const WELL_KNOWN_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)*$/;

function checkWellKnown(map: Record<string, string> | null): Record<string, string> | null {
  if (!map || !Object.keys(map).length) return null;
  for (const key of Object.keys(map)) {
    if (!WELL_KNOWN_KEY.test(key) || key.length > 200 || key.startsWith('acme-challenge')) {
      throw validationError(`wellKnown: "${key.slice(0, 64)}" is not a path under /.well-known/ (such as matrix/server)`, { field: 'wellKnown' });
    }
  }
  return map;
}

/** Records move with the provider, zone or its settings; sites change with the TLS settings, certificate or well-known documents. */
function changeOf(before: Domain, after: Domain): DomainChange {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return {
    dns: before.provider !== after.provider || before.zoneName !== after.zoneName || !same(before.config, after.config),
    proxy: !same(before.tlsConfig, after.tlsConfig) || before.fallbackCertificate.cert !== after.fallbackCertificate.cert || !same(before.wellKnown, after.wellKnown),
  };
}

/**
 * A wildcard certificate is only had through DNS-01: from an ACME CA, with a provider that writes the
 * `_acme-challenge` TXT records (Cloudron asks the same: a programmatic DNS provider).
 */
function checkWildcard(tls: TlsConfig, provider: DnsProvider, writers: string[]) {
  if (tls.provider === 'fallback') {
    throw validationError('tlsConfig.wildcard needs certificates from an ACME CA (letsencrypt-prod, letsencrypt-staging or acme), not fallback', { field: 'tlsConfig.wildcard' });
  }
  if (provider.passive) {
    throw validationError(
      `tlsConfig.wildcard needs a DNS provider that writes records (the CA checks a TXT record at _acme-challenge.<domain>); ${provider.name} does not: use one of ${writers.join(', ')}`,
      { field: 'tlsConfig.wildcard' },
    );
  }
}

/** A custom ACME directory: an absolute http(s) URL (http only makes sense for a CA on this machine). */
function checkDirectoryUrl(value: string | undefined): string {
  let url: URL;
  try {
    url = new URL(value ?? '');
  } catch {
    throw validationError('tlsConfig.acmeDirectoryUrl is required for the acme provider and must be a URL', { field: 'tlsConfig.acmeDirectoryUrl' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw validationError('tlsConfig.acmeDirectoryUrl must be an http(s) URL', { field: 'tlsConfig.acmeDirectoryUrl' });
  return url.toString();
}
