import type { Db } from '../db/database';
import { isPostgres } from '../db/database';

/** Every row one tenant owns, table by table, as read in one snapshot. */
export type TenantDump = Record<string, Array<Record<string, unknown>>>;

export interface TenantDumpRepo {
  /** The tenant's rows in one consistent read (one transaction; REPEATABLE READ on PostgreSQL). */
  dump(instanceId: string): Promise<TenantDump>;
  /**
   * Replaces the tenant's rows with those of a dump (of this or another tenant, on this or another box), the
   * dump's tenant id mapped to this one. Settings named in `keepSettings` stay as they are. Run it inside
   * `Store.transaction`, so the tenant is either wholly replaced or untouched.
   */
  replace(instanceId: string, dump: TenantDump, keepSettings: string[]): Promise<void>;
}

/** Tables with an `instance_id` column, dumped whole for the tenant. Tasks and their logs are transient and left out. */
const TENANT_TABLES = ['settings', 'users', 'tokens', 'groups', 'eventlog', 'user_tokens', 'domains', 'apps', 'catalogue_manifests', 'backups'];
/** The order rows go back in (what is referenced first); deletion runs the other way. */
const RESTORE_ORDER = ['settings', 'users', 'tokens', 'user_tokens', 'groups', 'group_members', 'eventlog', 'domains', 'apps', 'app_port_bindings', 'catalogue_manifests', 'backups'];
/** Rows per INSERT: well under SQLite's limit on bound variables. */
const INSERT_CHUNK = 50;
/**
 * The backup configuration holds the encryption password and storage secrets: a backup must not carry the key
 * that opens it, and a restore is given its configuration anyway. `restore` is a restore's request
 * (box-restore.ts), which holds that configuration until its task ends.
 */
const SECRET_SETTINGS = ['backup_config', 'restore'];

/**
 * A tenant-level dump rather than a copy of the database file (`db.backup()`, `pg_dump`): the database holds
 * every tenant of the box, and one tenant's backup must hold that tenant's rows only.
 */
export class KnexTenantDumpRepo implements TenantDumpRepo {
  constructor(private readonly db: Db) {}

  async dump(instanceId: string): Promise<TenantDump> {
    return this.db.transaction(async (trx) => {
      if (isPostgres(this.db)) await trx.raw('set transaction isolation level repeatable read');
      const dump: TenantDump = { instances: await trx('instances').where({ id: instanceId }) };
      for (const table of TENANT_TABLES) {
        let query = trx(table).where({ instance_id: instanceId });
        if (table === 'settings') query = query.whereNotIn('name', SECRET_SETTINGS);
        dump[table] = await query;
      }
      dump.group_members = await trx('group_members').whereIn('group_id', trx('groups').select('id').where({ instance_id: instanceId }));
      dump.app_port_bindings = await trx('app_port_bindings').whereIn('app_id', trx('apps').select('id').where({ instance_id: instanceId }));
      for (const rows of Object.values(dump)) rows.forEach(encodeBinary);
      return dump;
    });
  }

  async replace(instanceId: string, dump: TenantDump, keepSettings: string[]): Promise<void> {
    const db = this.db;
    await db('group_members').whereIn('group_id', db('groups').select('id').where({ instance_id: instanceId })).delete();
    await db('app_port_bindings').whereIn('app_id', db('apps').select('id').where({ instance_id: instanceId })).delete();
    for (const table of [...RESTORE_ORDER].reverse()) {
      if (table === 'group_members' || table === 'app_port_bindings') continue;
      let query = db(table).where({ instance_id: instanceId });
      if (table === 'settings') query = query.whereNotIn('name', keepSettings);
      await query.delete();
    }
    for (const table of RESTORE_ORDER) {
      let rows = (dump[table] ?? []).map((row) => decodeBinary('instance_id' in row ? { ...row, instance_id: instanceId } : { ...row }));
      if (table === 'settings') rows = rows.filter((row) => !keepSettings.includes(String(row.name)));
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await db(table).insert(rows.slice(i, i + INSERT_CHUNK));
    }
  }
}

/** Blobs back from base64. */
function decodeBinary(row: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(row)) {
    const base64 = (value as { base64?: unknown } | null)?.base64;
    if (value && typeof value === 'object' && typeof base64 === 'string') row[key] = Buffer.from(base64, 'base64');
  }
  return row;
}

/** Blobs (app icons) as base64, so the dump is plain JSON. */
function encodeBinary(row: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(row)) {
    if (Buffer.isBuffer(value)) row[key] = { base64: value.toString('base64') };
  }
}
