import { json, type Db } from '../db/database';

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

interface DomainRow {
  domain: string;
  instance_id: string;
  zone_name: string;
  provider: string;
  config: string;
  tls_config: string;
  well_known: string | null;
  fallback_cert: string;
  fallback_key: string;
  created_at: string;
  updated_at: string;
}

const fromRow = (row: DomainRow): Domain => ({
  domain: row.domain,
  instanceId: row.instance_id,
  zoneName: row.zone_name,
  provider: row.provider,
  config: json(row.config),
  tlsConfig: json(row.tls_config),
  wellKnown: row.well_known ? json(row.well_known) : null,
  fallbackCertificate: { cert: row.fallback_cert, key: row.fallback_key },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toRow = (d: Domain): DomainRow => ({
  domain: d.domain,
  instance_id: d.instanceId,
  zone_name: d.zoneName,
  provider: d.provider,
  config: JSON.stringify(d.config),
  tls_config: JSON.stringify(d.tlsConfig),
  well_known: d.wellKnown ? JSON.stringify(d.wellKnown) : null,
  fallback_cert: d.fallbackCertificate.cert,
  fallback_key: d.fallbackCertificate.key,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});

export class KnexDomainRepo implements DomainRepo {
  constructor(private readonly db: Db) {}

  async list(instanceId: string) {
    return (await this.db<DomainRow>('domains').where({ instance_id: instanceId }).orderBy('domain')).map(fromRow);
  }

  async get(instanceId: string, domain: string) {
    const row = await this.db<DomainRow>('domains').where({ instance_id: instanceId, domain }).first();
    return row && fromRow(row);
  }

  async getAny(domain: string) {
    const row = await this.db<DomainRow>('domains').where({ domain }).first();
    return row && fromRow(row);
  }

  async insert(domain: Domain) {
    await this.db('domains').insert(toRow(domain));
  }

  async update(domain: Domain) {
    const { domain: name, instance_id, created_at: _created, ...rest } = toRow(domain);
    await this.db('domains').where({ domain: name, instance_id }).update(rest);
  }

  async delete(instanceId: string, domain: string) {
    return (await this.db('domains').where({ instance_id: instanceId, domain }).delete()) > 0;
  }
}
