import type { Db } from '../db/database';

/** A DNS record Berth wrote for an app (and so may change or remove again). */
export interface DnsRecord {
  instanceId: string;
  appId: string;
  domain: string;
  fqdn: string;
  type: string;
  value: string;
  createdAt: string;
}

export interface DnsRecordRepo {
  ofApp(appId: string): Promise<DnsRecord[]>;
  find(fqdn: string, type: string): Promise<DnsRecord | undefined>;
  /** Insert or take over (fqdn, type). */
  save(record: DnsRecord): Promise<void>;
  remove(fqdn: string, type: string): Promise<void>;
}

interface DnsRecordRow {
  instance_id: string;
  app_id: string;
  domain: string;
  fqdn: string;
  type: string;
  value: string;
  created_at: string;
}

const fromRow = (r: DnsRecordRow): DnsRecord => ({
  instanceId: r.instance_id,
  appId: r.app_id,
  domain: r.domain,
  fqdn: r.fqdn,
  type: r.type,
  value: r.value,
  createdAt: r.created_at,
});

export class KnexDnsRecordRepo implements DnsRecordRepo {
  constructor(private readonly db: Db) {}

  async ofApp(appId: string) {
    return (await this.db<DnsRecordRow>('dns_records').where({ app_id: appId }).orderBy('fqdn')).map(fromRow);
  }

  async find(fqdn: string, type: string) {
    const row = await this.db<DnsRecordRow>('dns_records').where({ fqdn, type }).first();
    return row && fromRow(row);
  }

  async save(r: DnsRecord) {
    await this.db('dns_records')
      .insert({ instance_id: r.instanceId, app_id: r.appId, domain: r.domain, fqdn: r.fqdn, type: r.type, value: r.value, created_at: r.createdAt })
      .onConflict(['fqdn', 'type'])
      .merge(['instance_id', 'app_id', 'domain', 'value']);
  }

  async remove(fqdn: string, type: string) {
    await this.db('dns_records').where({ fqdn, type }).delete();
  }
}
