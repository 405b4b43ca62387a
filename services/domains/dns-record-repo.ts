import type { Db } from '../db/database';
import { mapTable, text } from '../db/columns';

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

const dnsRecords = mapTable<DnsRecord>('dns_records', {
  instanceId: text(),
  appId: text(),
  domain: text(),
  fqdn: text(),
  type: text(),
  value: text(),
  createdAt: text(),
});

export class KnexDnsRecordRepo implements DnsRecordRepo {
  constructor(private readonly db: Db) {}

  async ofApp(appId: string) {
    return (await this.db('dns_records').where({ app_id: appId }).orderBy('fqdn')).map(dnsRecords.fromRow);
  }

  async find(fqdn: string, type: string) {
    const row = await this.db('dns_records').where({ fqdn, type }).first();
    return row ? dnsRecords.fromRow(row) : undefined;
  }

  async save(r: DnsRecord) {
    await this.db('dns_records')
      .insert(dnsRecords.toRow(r))
      .onConflict(['fqdn', 'type'])
      .merge((['instanceId', 'appId', 'domain', 'value'] as const).map(dnsRecords.column));
  }

  async remove(fqdn: string, type: string) {
    await this.db('dns_records').where({ fqdn, type }).delete();
  }
}
