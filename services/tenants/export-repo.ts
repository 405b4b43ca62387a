import type { Db } from '../db/database';
import { json } from '../db/database';

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

interface ExportRow {
  id: string;
  instance_id: string;
  task_id: number | string | null;
  state: TenantExport['state'];
  parts: string;
  size: number | string;
  created_at: string;
}

const fromRow = (row: ExportRow): TenantExport => ({
  id: row.id,
  instanceId: row.instance_id,
  taskId: row.task_id === null ? null : Number(row.task_id),
  state: row.state,
  parts: json<ExportPart[]>(row.parts),
  size: Number(row.size),
  createdAt: row.created_at,
});

export class KnexExportRepo implements ExportRepo {
  constructor(private readonly db: Db) {}

  async insert(row: TenantExport) {
    await this.db('instance_exports').insert({
      id: row.id, instance_id: row.instanceId, task_id: row.taskId, state: row.state, parts: JSON.stringify(row.parts), size: row.size, created_at: row.createdAt,
    });
  }

  async get(instanceId: string, id: string) {
    const row = await this.db<ExportRow>('instance_exports').where({ instance_id: instanceId, id }).first();
    return row && fromRow(row);
  }

  async finish(id: string, patch: Pick<TenantExport, 'state' | 'parts' | 'size'>) {
    await this.db('instance_exports').where({ id }).update({ state: patch.state, parts: JSON.stringify(patch.parts), size: patch.size });
  }

  async setTask(id: string, taskId: number) {
    await this.db('instance_exports').where({ id }).update({ task_id: taskId });
  }
}
