import type { Db } from '../db/database';
import { bool, json } from '../db/database';

/** Limits an operator sets on a tenant; absent means unlimited. */
export interface Quotas {
  /** Installed apps. */
  apps?: number;
  /** Sum of the apps' memory limits, in bytes. */
  memory?: number;
  /** Bytes of app data: stored for the operator, not measured or enforced yet. */
  disk?: number;
}

/** A tenant. A single-box install has exactly one, the default instance. */
export interface Instance {
  id: string;
  domain: string | null;
  isDefault: boolean;
  createdAt: string;
  /** Control-plane fields (the admin API); defaults for a new tenant. */
  locale?: string;
  email?: string | null;
  context?: string;
  quotas?: Quotas;
  blocked?: boolean;
  blockingReason?: string | null;
  deleting?: boolean;
  updatedAt?: string | null;
}

/** An instance as read back: every field present. */
export type StoredInstance = Required<Instance>;

export type InstancePatch = Partial<Pick<StoredInstance, 'locale' | 'email' | 'context' | 'quotas' | 'blocked' | 'blockingReason' | 'deleting'>>;

export interface InstanceRepo {
  get(id: string): Promise<StoredInstance | undefined>;
  findDefault(): Promise<StoredInstance | undefined>;
  /** The instance whose domain is the first of these names (in their order) that is a tenant's. */
  findByDomains(domains: string[]): Promise<StoredInstance | undefined>;
  insert(instance: Instance): Promise<void>;
  /** Every tenant's id. */
  ids(): Promise<string[]>;
  /** A page of tenants by creation (then id). */
  list(query: { limit: number; skip: number }): Promise<StoredInstance[]>;
  count(): Promise<number>;
  update(id: string, patch: InstancePatch, now: string): Promise<void>;
  delete(id: string): Promise<void>;
}

interface InstanceRow {
  id: string;
  domain: string | null;
  is_default: boolean | number;
  created_at: string;
  locale: string;
  email: string | null;
  context: string;
  quotas: string;
  blocked: boolean | number;
  blocking_reason: string | null;
  deleting: boolean | number;
  updated_at: string | null;
}

const fromRow = (row: InstanceRow): StoredInstance => ({
  id: row.id,
  domain: row.domain,
  isDefault: bool(row.is_default),
  createdAt: row.created_at,
  locale: row.locale,
  email: row.email,
  context: row.context,
  quotas: json<Quotas>(row.quotas),
  blocked: bool(row.blocked),
  blockingReason: row.blocking_reason,
  deleting: bool(row.deleting),
  updatedAt: row.updated_at,
});

const COLUMNS: Record<keyof InstancePatch, string> = {
  locale: 'locale', email: 'email', context: 'context', quotas: 'quotas', blocked: 'blocked', blockingReason: 'blocking_reason', deleting: 'deleting',
};

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
    // Several may match (a Host and its parent domain, both tenants): the order of `domains` decides, not the database's.
    const rows = await this.db<InstanceRow>('instances').whereIn('domain', domains);
    const row = domains.map((domain) => rows.find((r) => r.domain === domain)).find(Boolean);
    return row && fromRow(row);
  }

  async insert(instance: Instance) {
    await this.db('instances').insert({
      id: instance.id,
      domain: instance.domain,
      is_default: instance.isDefault,
      created_at: instance.createdAt,
      locale: instance.locale ?? 'en',
      email: instance.email ?? null,
      context: instance.context ?? 'default',
      quotas: JSON.stringify(instance.quotas ?? {}),
      blocked: instance.blocked ?? false,
      blocking_reason: instance.blockingReason ?? null,
      deleting: instance.deleting ?? false,
      updated_at: instance.updatedAt ?? instance.createdAt,
    });
  }

  async ids() {
    return (await this.db('instances').select('id')).map((row: { id: string }) => row.id);
  }

  async list(query: { limit: number; skip: number }) {
    const rows = await this.db<InstanceRow>('instances').orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(query.limit).offset(query.skip);
    return rows.map(fromRow);
  }

  async count() {
    const row = await this.db('instances').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async update(id: string, patch: InstancePatch, now: string) {
    const row: Record<string, unknown> = { updated_at: now };
    for (const [key, value] of Object.entries(patch)) row[COLUMNS[key as keyof InstancePatch]] = key === 'quotas' ? JSON.stringify(value) : value;
    await this.db('instances').where({ id }).update(row);
  }

  async delete(id: string) {
    await this.db('instances').where({ id }).delete();
  }
}
