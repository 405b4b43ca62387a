import type { Db } from '../db/database';
import { bool } from '../db/database';

/** A tenant. A single-box install has exactly one, the default instance. */
export interface Instance {
  id: string;
  domain: string | null;
  isDefault: boolean;
  createdAt: string;
}

export interface InstanceRepo {
  get(id: string): Promise<Instance | undefined>;
  findDefault(): Promise<Instance | undefined>;
  /** The instance whose domain is one of these names. */
  findByDomains(domains: string[]): Promise<Instance | undefined>;
  insert(instance: Instance): Promise<void>;
  /** Every tenant's id. */
  ids(): Promise<string[]>;
}

interface InstanceRow {
  id: string;
  domain: string | null;
  is_default: boolean | number;
  created_at: string;
}

const fromRow = (row: InstanceRow): Instance => ({
  id: row.id,
  domain: row.domain,
  isDefault: bool(row.is_default),
  createdAt: row.created_at,
});

export class KnexInstanceRepo implements InstanceRepo {
  constructor(private readonly db: Db) {}

  async get(id: string) {
    const row = await this.db<InstanceRow>('instances').where({ id }).first();
    return row && fromRow(row);
  }

  async findDefault() {
    const row = await this.db<InstanceRow>('instances').where({ is_default: true }).first();
    return row && fromRow(row);
  }

  async findByDomains(domains: string[]) {
    const row = await this.db<InstanceRow>('instances').whereIn('domain', domains).first();
    return row && fromRow(row);
  }

  async insert(instance: Instance) {
    await this.db('instances').insert({
      id: instance.id,
      domain: instance.domain,
      is_default: instance.isDefault,
      created_at: instance.createdAt,
    });
  }

  async ids() {
    return (await this.db('instances').select('id')).map((row: { id: string }) => row.id);
  }
}
