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

/** A certificate and key a user sends: both PEM, the key the certificate's, the certificate good for the domain. */
export function checkCertificatePair(pair: CertificatePair, domain: string): CertificatePair {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.cert);
  } catch {
    throw validationError('fallbackCertificate.cert is not a PEM certificate', { field: 'fallbackCertificate.cert' });
  }
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
  return pair;
}
