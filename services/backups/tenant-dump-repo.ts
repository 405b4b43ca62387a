import type { Db } from '../db/database';
import { isPostgres } from '../db/database';

/** Every row one tenant owns, table by table, as read in one snapshot. */
export type TenantDump = Record<string, Array<Record<string, unknown>>>;

export interface TenantDumpRepo {
  /** The tenant's rows in one consistent read (one transaction; REPEATABLE READ on PostgreSQL). */
  dump(instanceId: string): Promise<TenantDump>;
}

/** Tables with an `instance_id` column, dumped whole for the tenant. Tasks and their logs are transient and left out. */
const TENANT_TABLES = ['settings', 'users', 'tokens', 'groups', 'eventlog', 'user_tokens', 'apps', 'catalogue_manifests', 'backups'];
/**
 * The backup configuration holds the encryption password and storage secrets: a backup must not carry the key
 * that opens it, and a restore is given its configuration anyway.
 */
const SECRET_SETTINGS = ['backup_config'];

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
}

/** Blobs (app icons) as base64, so the dump is plain JSON. */
function encodeBinary(row: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(row)) {
    if (Buffer.isBuffer(value)) row[key] = { base64: value.toString('base64') };
  }
}
