import type { Db } from '../db/database';

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

interface Row {
  instance_id: string;
  fqdn: string;
  cert_pem: string;
  key_pem: string;
  issuer: string;
  not_after: string;
  updated_at: string;
}

const fromRow = (r: Row): StoredCertificate => ({
  instanceId: r.instance_id, fqdn: r.fqdn, cert: r.cert_pem, key: r.key_pem, issuer: r.issuer, notAfter: r.not_after, updatedAt: r.updated_at,
});

export class KnexCertificateRepo implements CertificateRepo {
  constructor(private readonly db: Db) {}

  async get(instanceId: string, fqdn: string) {
    const row = await this.db<Row>('certificates').where({ instance_id: instanceId, fqdn }).first();
    return row ? fromRow(row) : undefined;
  }

  async list(instanceId: string) {
    return (await this.db<Row>('certificates').where({ instance_id: instanceId }).orderBy('fqdn')).map(fromRow);
  }

  async expiringBefore(before: string) {
    return (await this.db<Row>('certificates').where('not_after', '<', before).orderBy('not_after')).map(fromRow);
  }

  async put(c: StoredCertificate) {
    await this.db<Row>('certificates')
      .insert({ instance_id: c.instanceId, fqdn: c.fqdn, cert_pem: c.cert, key_pem: c.key, issuer: c.issuer, not_after: c.notAfter, updated_at: c.updatedAt })
      .onConflict(['instance_id', 'fqdn'])
      .merge(['cert_pem', 'key_pem', 'issuer', 'not_after', 'updated_at']);
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
