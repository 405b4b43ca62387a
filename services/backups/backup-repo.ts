import type { Db } from '../db/database';
import { boolean, integer, jsonOrNull, jsonText, mapTable, text, textOrNull } from '../db/columns';
import type { Manifest } from '../apps/manifest';

export type BackupType = 'box' | 'app';
export type BackupState = 'creating' | 'normal' | 'error';
export type BackupFormat = 'tgz' | 'rsync';

/** One stored file of a backup and what it should hash to (SHA-256 of the bytes on the target). */
export interface BackupFile {
  name: string;
  size: number;
  sha256: string;
}

export interface Backup {
  id: string;
  instanceId: string;
  type: BackupType;
  /** The app's id for an app backup, `box` for a box backup. */
  identifier: string;
  state: BackupState;
  format: BackupFormat;
  encrypted: boolean;
  /** The app's manifest version, or Berth's version for a box backup. */
  version: string;
  /** The backup's folder, relative to the tenant's folder on the target. */
  remotePath: string;
  files: BackupFile[];
  /** A box backup's app backups. */
  dependsOn: string[];
  manifest: Manifest | null;
  size: number;
  /** Kept at least this long after creation, whatever the retention (0: no extra keeping). */
  preserveSecs: number;
  /** A name people give a backup ("before the upgrade"). */
  label: string;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export type BackupPatch = Partial<Pick<Backup, 'state' | 'files' | 'size' | 'error' | 'dependsOn' | 'preserveSecs' | 'label'>>;

export interface BackupRepo {
  insert(backup: Backup): Promise<void>;
  get(instanceId: string, id: string): Promise<Backup | undefined>;
  /** Newest first; `identifier` narrows to one app (or `box`). */
  list(query: { instanceId: string; type?: BackupType; identifier?: string; page: number; perPage: number }): Promise<Backup[]>;
  /** Every backup of the tenant, newest first (retention looks at all of them). */
  listAll(instanceId: string): Promise<Backup[]>;
  /** When the tenant's newest complete backup of a type was made, and its first one of that type (any state). */
  history(instanceId: string, type: BackupType): Promise<{ lastCompleteAt: string | null; firstAt: string | null }>;
  update(id: string, patch: BackupPatch, now: string): Promise<void>;
  delete(id: string): Promise<void>;
}

const backups = mapTable<Backup>('backups', {
  id: text(),
  instanceId: text(),
  type: text(),
  identifier: text(),
  state: text(),
  format: text(),
  encrypted: boolean(),
  version: text(),
  remotePath: text(),
  files: jsonText(),
  dependsOn: jsonText(),
  manifest: jsonOrNull(),
  size: integer(),
  preserveSecs: integer(),
  label: text(),
  error: textOrNull(),
  createdAt: text(),
  updatedAt: text(),
});

export class KnexBackupRepo implements BackupRepo {
  constructor(private readonly db: Db) {}

  async insert(backup: Backup) {
    await this.db(backups.table).insert(backups.toRow(backup));
  }

  async get(instanceId: string, id: string) {
    const row = await this.db('backups').where({ instance_id: instanceId, id }).first();
    return row ? backups.fromRow(row) : undefined;
  }

  async list(query: { instanceId: string; type?: BackupType; identifier?: string; page: number; perPage: number }) {
    let q = this.db('backups').where({ instance_id: query.instanceId });
    if (query.type) q = q.where({ type: query.type });
    if (query.identifier) q = q.where({ identifier: query.identifier });
    const rows = await q
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .limit(query.perPage)
      .offset((query.page - 1) * query.perPage);
    return rows.map(backups.fromRow);
  }

  async history(instanceId: string, type: BackupType) {
    const base = () => this.db('backups').where({ instance_id: instanceId, type });
    const [complete] = await base().andWhere({ state: 'normal' }).max({ at: 'created_at' });
    const [first] = await base().min({ at: 'created_at' });
    return { lastCompleteAt: (complete?.at as string | null) ?? null, firstAt: (first?.at as string | null) ?? null };
  }

  async listAll(instanceId: string) {
    const rows = await this.db('backups')
      .where({ instance_id: instanceId })
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
    return rows.map(backups.fromRow);
  }

  async update(id: string, patch: BackupPatch, now: string) {
    await this.db(backups.table).where({ id }).update(backups.toRow({ ...patch, updatedAt: now }));
  }

  async delete(id: string) {
    await this.db('backups').where({ id }).delete();
  }
}
