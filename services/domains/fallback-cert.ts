import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { validationError } from '../core/errors';

export interface CertificatePair {
  cert: string;
  key: string;
}

/** Makes the self-signed certificate a domain's apps are served with until (or unless) a real one is issued. */
export interface FallbackCertificates {
  create(domain: string): Promise<CertificatePair>;
}

/**
 * `openssl req -x509` (node:crypto reads certificates but cannot make them): an EC P-256 key and a certificate
 * for the domain and `*.domain`, valid ten years, as Cloudron's fallback certificate.
 */
export class OpensslFallbackCertificates implements FallbackCertificates {
  constructor(private readonly openssl = 'openssl') {}

  async create(domain: string): Promise<CertificatePair> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cert-'));
    try {
      const keyFile = path.join(dir, 'key.pem');
      const certFile = path.join(dir, 'cert.pem');
      await promisify(execFile)(this.openssl, [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
        '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain},DNS:*.${domain}`,
        '-keyout', keyFile, '-out', certFile,
      ]);
      return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * A certificate and key a user sends: both PEM, the key the certificate's, the certificate good for the domain
 * and valid `now`; intermediates after it, each one the issuer of the one before and valid too (nginx sends
 * the file as the chain, so a broken chain would fail in every client).
 */
export function checkCertificatePair(pair: CertificatePair, domain: string, now: Date): CertificatePair {
  const pems = pair.cert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let chain: X509Certificate[];
  try {
    if (!pems.length) throw new Error('no certificate');
    chain = pems.map((pem) => new X509Certificate(pem));
  } catch {
    throw validationError('fallbackCertificate.cert is not a PEM certificate', { field: 'fallbackCertificate.cert' });
  }
  const [cert] = chain;
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(pair.key));
  } catch {
    throw validationError('fallbackCertificate.key is not a PEM private key', { field: 'fallbackCertificate.key' });
  }
  if (!matches) throw validationError('fallbackCertificate.key is not the key of fallbackCertificate.cert', { field: 'fallbackCertificate.key' });
  if (!cert.checkHost(domain) && !cert.checkHost(`berth-check.${domain}`)) {
    throw validationError(`fallbackCertificate.cert is not valid for ${domain}`, { field: 'fallbackCertificate.cert' });
  }
  chain.forEach((c, i) => checkValidity(c, i, now));
  for (let i = 1; i < chain.length; i++) {
    if (!chain[i - 1].checkIssued(chain[i]) || !chain[i - 1].verify(chain[i].publicKey)) {
      throw validationError(
        `fallbackCertificate.cert: certificate ${i + 1} of the chain (${chain[i].subject.replace(/\n/g, ', ')}) did not issue certificate ${i}; give the certificate first, then each issuer in order`,
        { field: 'fallbackCertificate.cert' },
      );
    }
  }
  return pair;
}

const CLOCK_SKEW_MS = 5 * 60_000;

function checkValidity(cert: X509Certificate, index: number, now: Date) {
  const which = index === 0 ? 'fallbackCertificate.cert' : `fallbackCertificate.cert: certificate ${index + 1} of the chain`;
  if (Date.parse(cert.validTo) < now.getTime()) throw validationError(`${which} expired on ${new Date(cert.validTo).toISOString()}`, { field: 'fallbackCertificate.cert' });
  // A few minutes' grace: a certificate made just now on a machine whose clock runs a little ahead is fine.
  if (Date.parse(cert.validFrom) > now.getTime() + CLOCK_SKEW_MS) throw validationError(`${which} is not valid before ${new Date(cert.validFrom).toISOString()}`, { field: 'fallbackCertificate.cert' });
}
