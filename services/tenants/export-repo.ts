import type { Db } from '../db/database';
import { integer, integerOrNull, jsonText, mapTable, text } from '../db/columns';

/** One downloadable part of an export: the metadata (cursor null) or one app's data (cursor = app id). */
export interface ExportPart {
  cursor: string | null;
  file: string;
  size: number;
}

export interface TenantExport {
  id: string;
  instanceId: string;
  taskId: number | null;
  state: 'queued' | 'done' | 'error';
  parts: ExportPart[];
  size: number;
  createdAt: string;
}

export interface ExportRepo {
  insert(row: TenantExport): Promise<void>;
  get(instanceId: string, id: string): Promise<TenantExport | undefined>;
  finish(id: string, patch: Pick<TenantExport, 'state' | 'parts' | 'size'>): Promise<void>;
  setTask(id: string, taskId: number): Promise<void>;
}

const tenantExports = mapTable<TenantExport>('instance_exports', {
  id: text(),
  instanceId: text(),
  taskId: integerOrNull(),
  state: text(),
  parts: jsonText(),
  size: integer(),
  createdAt: text(),
});

export class KnexExportRepo implements ExportRepo {
  constructor(private readonly db: Db) {}

  async insert(row: TenantExport) {
    await this.db('instance_exports').insert(tenantExports.toRow(row));
  }

  async get(instanceId: string, id: string) {
    const row = await this.db('instance_exports').where({ instance_id: instanceId, id }).first();
    return row ? tenantExports.fromRow(row) : undefined;
  }

  async finish(id: string, patch: Pick<TenantExport, 'state' | 'parts' | 'size'>) {
    await this.db('instance_exports').where({ id }).update(tenantExports.toRow({ state: patch.state, parts: patch.parts, size: patch.size }));
  }

  async setTask(id: string, taskId: number) {
    await this.db('instance_exports').where({ id }).update(tenantExports.toRow({ taskId }));
  }
}
