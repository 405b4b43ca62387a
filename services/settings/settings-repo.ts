import type { Db } from '../db/database';
import { isUniqueViolation } from '../db/database';

/** Per-tenant settings, stored as JSON under a name. */
export interface SettingsRepo {
  get<T>(instanceId: string, name: string): Promise<T | undefined>;
  /** Several settings in one query; unset names are absent from the result. */
  getMany(instanceId: string, names: string[]): Promise<Record<string, unknown>>;
  set(instanceId: string, name: string, value: unknown): Promise<void>;
  /** Stores the value only if the name is unset; false when it was already set (used as a once-only latch). */
  insertOnce(instanceId: string, name: string, value: unknown): Promise<boolean>;
}

export class KnexSettingsRepo implements SettingsRepo {
  constructor(private readonly db: Db) {}

  async get<T>(instanceId: string, name: string): Promise<T | undefined> {
    const row = await this.db('settings').where({ instance_id: instanceId, name }).first('value');
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async getMany(instanceId: string, names: string[]) {
    const rows = await this.db('settings').where({ instance_id: instanceId }).whereIn('name', names).select('name', 'value');
    return Object.fromEntries(rows.map((row: { name: string; value: string }) => [row.name, JSON.parse(row.value)]));
  }

  async set(instanceId: string, name: string, value: unknown) {
    await this.db('settings')
      .insert({ instance_id: instanceId, name, value: JSON.stringify(value) })
      .onConflict(['instance_id', 'name'])
      .merge();
  }

  async insertOnce(instanceId: string, name: string, value: unknown) {
    try {
      await this.db('settings').insert({ instance_id: instanceId, name, value: JSON.stringify(value) });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
}
