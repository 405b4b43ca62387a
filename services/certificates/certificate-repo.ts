import type { Db } from '../db/database';
import { mapTable, text } from '../db/columns';

/** An issued certificate as stored; `key` is the private key and never leaves the server. */
export interface StoredCertificate {
  instanceId: string;
  fqdn: string;
  cert: string;
  key: string;
  issuer: string;
  notAfter: string;
  updatedAt: string;
}

export interface CertificateRepo {
  get(instanceId: string, fqdn: string): Promise<StoredCertificate | undefined>;
  list(instanceId: string): Promise<StoredCertificate[]>;
  /** Every tenant's certificates that end before `before` (ISO): what renewal looks at. */
  expiringBefore(before: string): Promise<StoredCertificate[]>;
  put(certificate: StoredCertificate): Promise<void>;
  accountKey(instanceId: string, directoryUrl: string): Promise<string | undefined>;
  /** Keeps the first key when two tasks race to create the account. */
  putAccountKey(instanceId: string, directoryUrl: string, keyPem: string, createdAt: string): Promise<string>;
}

const certificates = mapTable<StoredCertificate>('certificates', {
  instanceId: text(),
  fqdn: text(),
  cert: text().as('cert_pem'),
  key: text().as('key_pem'),
  issuer: text(),
  notAfter: text(),
  updatedAt: text(),
});

export class KnexCertificateRepo implements CertificateRepo {
  constructor(private readonly db: Db) {}

  async get(instanceId: string, fqdn: string) {
    const row = await this.db('certificates').where({ instance_id: instanceId, fqdn }).first();
    return row ? certificates.fromRow(row) : undefined;
  }

  async list(instanceId: string) {
    return (await this.db('certificates').where({ instance_id: instanceId }).orderBy('fqdn')).map(certificates.fromRow);
  }

  async expiringBefore(before: string) {
    return (await this.db('certificates').where('not_after', '<', before).orderBy('not_after')).map(certificates.fromRow);
  }

  async put(c: StoredCertificate) {
    await this.db('certificates')
      .insert(certificates.toRow(c))
      .onConflict(['instance_id', 'fqdn'])
      .merge((['cert', 'key', 'issuer', 'notAfter', 'updatedAt'] as const).map(certificates.column));
  }

  async accountKey(instanceId: string, directoryUrl: string) {
    const row = await this.db('acme_accounts').where({ instance_id: instanceId, directory_url: directoryUrl }).first();
    return row ? String(row.key_pem) : undefined;
  }

  async putAccountKey(instanceId: string, directoryUrl: string, keyPem: string, createdAt: string) {
    await this.db('acme_accounts').insert({ instance_id: instanceId, directory_url: directoryUrl, key_pem: keyPem, created_at: createdAt }).onConflict(['instance_id', 'directory_url']).ignore();
    return (await this.accountKey(instanceId, directoryUrl)) ?? keyPem;
  }
}
