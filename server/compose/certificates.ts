import path from 'node:path';
import { AcmeClientIssuer } from '../../services/certificates/acme-issuer';
import { CertificateService } from '../../services/certificates/certificate-service';
import { WebrootChallenges } from '../../services/certificates/challenge-store';
import { DnsChallenges } from '../../services/certificates/dns-challenges';
import type { Core } from './core';
import type { Domains } from './domains';
import type { Identity } from './identity';

export type Certificates = ReturnType<typeof composeCertificates>;

/**
 * ACME certificates, when nginx and ACME are configured (else the proxy serves fallback certificates, or there is no
 * proxy). Renewal republishes through the proxy, so its task and cron are wired in proxy.ts.
 */
export function composeCertificates({ config, store, clock }: Core, { eventlog }: Identity, { providers }: Domains) {
  const { nginx, acme } = config;
  if (!nginx || !acme) return { certificates: undefined };
  const certificates = new CertificateService({
    repo: store.certificates,
    issuer: new AcmeClientIssuer({ challenges: new WebrootChallenges(path.join(nginx.sitesDir, 'acme-challenge')), caFile: acme.caFile, timeoutSecs: acme.timeoutSecs }),
    dnsChallenges: new DnsChallenges({ providers, dnsServers: config.dnsServers, waitSecs: acme.dnsWaitSecs }),
    eventlog,
    clock,
    email: acme.email,
  });
  return { certificates };
}
