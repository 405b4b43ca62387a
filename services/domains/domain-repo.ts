import type { Db } from '../db/database';
import { jsonOrNull, jsonText, mapTable, text } from '../db/columns';

export interface TlsConfig {
  /** `acme`: the CA at acmeDirectoryUrl (any ACME server, e.g. Pebble for tests). */
  provider: 'letsencrypt-prod' | 'letsencrypt-staging' | 'acme' | 'fallback';
  wildcard: boolean;
  acmeDirectoryUrl?: string;
}

/** A domain as stored: `config` holds the provider's secrets and is redacted before it leaves the service. */
export interface Domain {
  domain: string;
  instanceId: string;
  zoneName: string;
  provider: string;
  config: Record<string, unknown>;
  tlsConfig: TlsConfig;
  wellKnown: Record<string, string> | null;
  fallbackCertificate: { cert: string; key: string };
  createdAt: string;
  updatedAt: string;
}

export interface DomainRepo {
  list(instanceId: string): Promise<Domain[]>;
  get(instanceId: string, domain: string): Promise<Domain | undefined>;
  /** Whichever tenant holds it: the reverse proxy serves every tenant. */
  getAny(domain: string): Promise<Domain | undefined>;
  insert(domain: Domain): Promise<void>;
  update(domain: Domain): Promise<void>;
  delete(instanceId: string, domain: string): Promise<boolean>;
}

/** The fallback certificate is two columns. */
type DomainRecord = Omit<Domain, 'fallbackCertificate'> & { fallbackCert: string; fallbackKey: string };

const domains = mapTable<DomainRecord>('domains', {
  domain: text(),
  instanceId: text(),
  zoneName: text(),
  provider: text(),
  config: jsonText(),
  tlsConfig: jsonText(),
  wellKnown: jsonOrNull(),
  fallbackCert: text(),
  fallbackKey: text(),
  createdAt: text(),
  updatedAt: text(),
});

function fromRow(row: Record<string, unknown>): Domain {
  const { fallbackCert, fallbackKey, ...domain } = domains.fromRow(row);
  return { ...domain, fallbackCertificate: { cert: fallbackCert, key: fallbackKey } };
}

function toRow({ fallbackCertificate, ...domain }: Partial<Domain>): Record<string, unknown> {
  return domains.toRow({ ...domain, fallbackCert: fallbackCertificate?.cert, fallbackKey: fallbackCertificate?.key });
}

export class KnexDomainRepo implements DomainRepo {
  constructor(private readonly db: Db) {}

  async list(instanceId: string) {
    return (await this.db('domains').where({ instance_id: instanceId }).orderBy('domain')).map(fromRow);
  }

  async get(instanceId: string, domain: string) {
    const row = await this.db('domains').where({ instance_id: instanceId, domain }).first();
    return row ? fromRow(row) : undefined;
  }

  async getAny(domain: string) {
    const row = await this.db('domains').where({ domain }).first();
    return row ? fromRow(row) : undefined;
  }

  async insert(domain: Domain) {
    await this.db('domains').insert(toRow(domain));
  }

  async update(domain: Domain) {
    const { domain: name, instanceId, createdAt: _created, ...changes } = domain;
    await this.db('domains').where({ domain: name, instance_id: instanceId }).update(toRow(changes));
  }

  async delete(instanceId: string, domain: string) {
    return (await this.db('domains').where({ instance_id: instanceId, domain }).delete()) > 0;
  }
}
