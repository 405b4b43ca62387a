import type { Db } from '../db/database';
import { bool, json } from '../db/database';
import type { Manifest } from '../apps/manifest';

export type BackupType = 'box' | 'app';
export type BackupState = 'creating' | 'normal' | 'error';
export type BackupFormat = 'tgz';

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

interface BackupRow {
  id: string;
  instance_id: string;
  type: BackupType;
  identifier: string;
  state: BackupState;
  format: BackupFormat;
  encrypted: boolean | number;
  version: string;
  remote_path: string;
  files: string;
  depends_on: string;
  manifest: string | null;
  size: number | string;
  preserve_secs: number | string;
  label: string;
  error: string | null;
  created_at: string;
  updated_at: string;
}

function fromRow(row: BackupRow): Backup {
  return {
    id: row.id,
    instanceId: row.instance_id,
    type: row.type,
    identifier: row.identifier,
    state: row.state,
    format: row.format,
    encrypted: bool(row.encrypted),
    version: row.version,
    remotePath: row.remote_path,
    files: json<BackupFile[]>(row.files),
    dependsOn: json<string[]>(row.depends_on),
    manifest: row.manifest === null ? null : json<Manifest>(row.manifest),
    size: Number(row.size),
    preserveSecs: Number(row.preserve_secs),
    label: row.label,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class KnexBackupRepo implements BackupRepo {
  constructor(private readonly db: Db) {}

  async insert(b: Backup) {
    await this.db('backups').insert({
      id: b.id,
      instance_id: b.instanceId,
      type: b.type,
      identifier: b.identifier,
      state: b.state,
      format: b.format,
      encrypted: b.encrypted,
      version: b.version,
      remote_path: b.remotePath,
      files: JSON.stringify(b.files),
      depends_on: JSON.stringify(b.dependsOn),
      manifest: b.manifest === null ? null : JSON.stringify(b.manifest),
      size: b.size,
      preserve_secs: b.preserveSecs,
      label: b.label,
      error: b.error,
      created_at: b.createdAt,
      updated_at: b.updatedAt,
    });
  }

  async get(instanceId: string, id: string) {
    const row = await this.db<BackupRow>('backups').where({ instance_id: instanceId, id }).first();
    return row && fromRow(row);
  }

  async list(query: { instanceId: string; type?: BackupType; identifier?: string; page: number; perPage: number }) {
    let q = this.db<BackupRow>('backups').where({ instance_id: query.instanceId });
    if (query.type) q = q.where({ type: query.type });
    if (query.identifier) q = q.where({ identifier: query.identifier });
    const rows = await q
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .limit(query.perPage)
      .offset((query.page - 1) * query.perPage);
    return rows.map(fromRow);
  }

  async history(instanceId: string, type: BackupType) {
    const base = () => this.db<BackupRow>('backups').where({ instance_id: instanceId, type });
    const [complete] = await base().andWhere({ state: 'normal' }).max({ at: 'created_at' });
    const [first] = await base().min({ at: 'created_at' });
    return { lastCompleteAt: (complete?.at as string | null) ?? null, firstAt: (first?.at as string | null) ?? null };
  }

  async listAll(instanceId: string) {
    const rows = await this.db<BackupRow>('backups')
      .where({ instance_id: instanceId })
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
    return rows.map(fromRow);
  }

  async update(id: string, patch: BackupPatch, now: string) {
    const row: Record<string, unknown> = { updated_at: now };
    if (patch.state !== undefined) row.state = patch.state;
    if (patch.files !== undefined) row.files = JSON.stringify(patch.files);
    if (patch.size !== undefined) row.size = patch.size;
    if (patch.error !== undefined) row.error = patch.error;
    if (patch.dependsOn !== undefined) row.depends_on = JSON.stringify(patch.dependsOn);
    if (patch.preserveSecs !== undefined) row.preserve_secs = patch.preserveSecs;
    if (patch.label !== undefined) row.label = patch.label;
    await this.db('backups').where({ id }).update(row);
  }

  async delete(id: string) {
    await this.db('backups').where({ id }).delete();
  }
}
