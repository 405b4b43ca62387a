import type { Db } from '../db/database';
import { boolean, jsonText, mapTable, text, textOrNull } from '../db/columns';

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

const instances = mapTable<StoredInstance>('instances', {
  id: text(),
  domain: textOrNull(),
  isDefault: boolean(),
  createdAt: text(),
  locale: text(),
  email: textOrNull(),
  context: text(),
  quotas: jsonText(),
  blocked: boolean(),
  blockingReason: textOrNull(),
  deleting: boolean(),
  updatedAt: textOrNull(),
});

export class KnexInstanceRepo implements InstanceRepo {
  constructor(private readonly db: Db) {}

  async get(id: string) {
    const row = await this.db('instances').where({ id }).first();
    return row ? instances.fromRow(row) : undefined;
  }

  async findDefault() {
    const row = await this.db('instances').where({ is_default: true }).first();
    return row ? instances.fromRow(row) : undefined;
  }

  async findByDomains(domains: string[]) {
    // Several may match (a Host and its parent domain, both tenants): the order of `domains` decides, not the database's.
    const found = (await this.db('instances').whereIn('domain', domains)).map(instances.fromRow);
    return domains.map((domain) => found.find((instance) => instance.domain === domain)).find(Boolean);
  }

  async insert(instance: Instance) {
    await this.db('instances').insert(
      instances.toRow({
        ...instance,
        locale: instance.locale ?? 'en',
        email: instance.email ?? null,
        context: instance.context ?? 'default',
        quotas: instance.quotas ?? {},
        blocked: instance.blocked ?? false,
        blockingReason: instance.blockingReason ?? null,
        deleting: instance.deleting ?? false,
        updatedAt: instance.updatedAt ?? instance.createdAt,
      }),
    );
  }

  async ids() {
    return (await this.db('instances').select('id')).map((row: { id: string }) => row.id);
  }

  async list(query: { limit: number; skip: number }) {
    const rows = await this.db('instances').orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(query.limit).offset(query.skip);
    return rows.map(instances.fromRow);
  }

  async count() {
    const row = await this.db('instances').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async update(id: string, patch: InstancePatch, now: string) {
    await this.db('instances').where({ id }).update(instances.toRow({ ...patch, updatedAt: now }));
  }

  async delete(id: string) {
    await this.db('instances').where({ id }).delete();
  }
}
