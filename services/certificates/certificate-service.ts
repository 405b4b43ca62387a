import { X509Certificate } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { Domain, TlsConfig } from '../domains/domain-repo';
import type { CertificatePair } from '../domains/fallback-cert';
import type { EventlogService } from '../eventlog/eventlog-service';
import type { AcmeIssuer } from './acme-issuer';
import type { CertificateRepo } from './certificate-repo';
import type { DnsChallenges } from './dns-challenges';

/** Certificates closer to their end than this are renewed (Let's Encrypt's advice for 90-day certificates). */
export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;

export const LETSENCRYPT = {
  'letsencrypt-prod': 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const;

/** The ACME directory a domain's certificates come from; null for `fallback` (the self-signed one only). */
export function directoryUrlOf(tls: TlsConfig): string | null {
  if (tls.provider === 'fallback') return null;
  if (tls.provider === 'acme') return tls.acmeDirectoryUrl ?? null;
  return LETSENCRYPT[tls.provider];
}

/** Whether the certificate named `name` (an fqdn, or `*.<domain>`, which holds `<domain>` too) serves fqdn. */
export function covers(name: string, fqdn: string): boolean {
  if (name === fqdn) return true;
  if (!name.startsWith('*.')) return false;
  const base = name.slice(2);
  // A wildcard stands for exactly one label.
  return fqdn === base || (fqdn.endsWith(`.${base}`) && !fqdn.slice(0, -base.length - 1).includes('.'));
}

export interface CertificateServiceDeps {
  repo: CertificateRepo;
  issuer: AcmeIssuer;
  /** The TXT records of DNS-01 (wildcard certificates), through each domain's DNS provider. */
  dnsChallenges: Pick<DnsChallenges, 'of'>;
  eventlog: EventlogService;
  clock: Clock;
  /** The ACME account's contact address, if any. */
  email?: string;
}

/**
 * Which certificate an app's name is served with: a stored ACME certificate while it is good for another
 * RENEW_BEFORE_DAYS, else a new one from the domain's CA. Failing that, the caller keeps the domain's fallback
 * certificate: an install never fails for want of a CA; the reason goes to the task log and the audit log.
 * Certificates are stored by name: an fqdn (HTTP-01), or `*.<domain>` for a domain with `tlsConfig.wildcard`
 * (DNS-01, one certificate for the domain and every name one label under it).
 */
export class CertificateService {
  constructor(private readonly deps: CertificateServiceDeps) {}

  /** The certificate name fqdn is served with: the domain's wildcard when it takes one and it covers fqdn. */
  nameFor(domain: Domain, fqdn: string): string {
    if (!domain.tlsConfig.wildcard || !directoryUrlOf(domain.tlsConfig)) return fqdn;
    const wildcard = `*.${domain.domain}`;
    return covers(wildcard, fqdn) ? wildcard : fqdn;
  }

  /** The stored certificate for fqdn when it does not need renewing. */
  async current(domain: Domain, fqdn: string): Promise<CertificatePair | null> {
    const stored = await this.stored(domain, fqdn);
    return stored && !this.needsRenewal(stored.notAfter) ? { cert: stored.cert, key: stored.key } : null;
  }

  /** The stored certificate for fqdn until it expires: what is served while it is renewed, and when renewal fails. */
  async unexpired(domain: Domain, fqdn: string): Promise<CertificatePair | null> {
    const stored = await this.stored(domain, fqdn);
    return stored && Date.parse(stored.notAfter) > this.deps.clock().getTime() ? { cert: stored.cert, key: stored.key } : null;
  }

  /** Whether fqdn should get a certificate from a CA now (an ACME domain, none stored or one near its end). */
  async wanted(domain: Domain, fqdn: string): Promise<boolean> {
    return directoryUrlOf(domain.tlsConfig) !== null && (await this.current(domain, fqdn)) === null;
  }

  /**
   * Issues and stores the certificate named `fqdn` (from nameFor); null (logged and audited) when the CA could
   * not be used. A wildcard is issued with its domain through DNS-01, an fqdn through HTTP-01.
   */
  async obtain(domain: Domain, fqdn: string, log: (line: string) => void): Promise<CertificatePair | null> {
    const directoryUrl = directoryUrlOf(domain.tlsConfig);
    if (!directoryUrl) return null;
    try {
      const accountKey = await this.accountKey(domain.instanceId, directoryUrl);
      const email = this.deps.email;
      const pair = fqdn.startsWith('*.')
        ? await this.deps.issuer.issueByDns({ directoryUrl, accountKey, names: [fqdn, domain.domain], email, dns: this.deps.dnsChallenges.of(domain, log) })
        : await this.deps.issuer.issue({ directoryUrl, accountKey, fqdn, email });
      const x509 = new X509Certificate(pair.cert);
      await this.deps.repo.put({
        instanceId: domain.instanceId, fqdn, ...pair, issuer: x509.issuer.replace(/\n/g, ', '),
        notAfter: new Date(x509.validTo).toISOString(), updatedAt: this.deps.clock().toISOString(),
      });
      log(`certificate for ${fqdn} issued by ${directoryUrl}, valid until ${new Date(x509.validTo).toISOString()}`);
      await this.audit(domain.instanceId, 'certificate.issue', fqdn, { directoryUrl, notAfter: new Date(x509.validTo).toISOString() });
      return pair;
    } catch (err) {
      const reason = describe(err);
      // A renewal that fails leaves the certificate being renewed in use while it lasts (see unexpired).
      if (await this.unexpired(domain, fqdn)) {
        log(`no certificate from ${directoryUrl} for ${fqdn} (${reason}); the current certificate is served until it expires`);
        await this.audit(domain.instanceId, 'certificate.renewal_failed', fqdn, { directoryUrl, errorMessage: reason });
      } else {
        log(`no certificate from ${directoryUrl} for ${fqdn} (${reason}); serving the fallback certificate`);
        await this.audit(domain.instanceId, 'certificate.fallback', fqdn, { directoryUrl, errorMessage: reason });
      }
      return null;
    }
  }

  /** Names whose certificates end within RENEW_BEFORE_DAYS, across tenants: what the renewcerts task renews. */
  async expiring(): Promise<{ instanceId: string; fqdn: string; notAfter: string }[]> {
    const before = new Date(this.deps.clock().getTime() + RENEW_BEFORE_DAYS * DAY_MS).toISOString();
    return (await this.deps.repo.expiringBefore(before)).map((c) => ({ instanceId: c.instanceId, fqdn: c.fqdn, notAfter: c.notAfter }));
  }

  /** What the API shows: never the key. */
  async list(instanceId: string) {
    return (await this.deps.repo.list(instanceId)).map((c) => ({ fqdn: c.fqdn, issuer: c.issuer, notAfter: c.notAfter }));
  }

  private async stored(domain: Domain, fqdn: string): Promise<(CertificatePair & { notAfter: string }) | null> {
    if (!directoryUrlOf(domain.tlsConfig)) return null;
    const stored = await this.deps.repo.get(domain.instanceId, fqdn);
    return stored ? { cert: stored.cert, key: stored.key, notAfter: stored.notAfter } : null;
  }

  private needsRenewal(notAfter: string) {
    return Date.parse(notAfter) - this.deps.clock().getTime() < RENEW_BEFORE_DAYS * DAY_MS;
  }

  private async accountKey(instanceId: string, directoryUrl: string) {
    const stored = await this.deps.repo.accountKey(instanceId, directoryUrl);
    if (stored) return stored;
    return this.deps.repo.putAccountKey(instanceId, directoryUrl, await this.deps.issuer.createAccountKey(), this.deps.clock().toISOString());
  }

  private async audit(instanceId: string, action: string, fqdn: string, data: Record<string, unknown>) {
    await this.deps.eventlog.record({ instanceId, userId: null, tokenId: null, ip: null }, action, fqdn, data).catch(() => undefined);
  }
}

/** acme-client's errors carry the CA's problem detail; network errors their code. Never a key. */
function describe(err: unknown): string {
  const e = err as { message?: string; code?: string };
  return (e?.message || e?.code || String(err)).split('\n')[0].slice(0, 500);
}
