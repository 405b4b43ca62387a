import type { Db } from '../db/database';
import { json } from '../db/database';
import type { Manifest } from './manifest';

/** Manifests a tenant's admins added to its catalogue, one row per app version. */
export interface CatalogueRepo {
  list(instanceId: string): Promise<Manifest[]>;
  versions(instanceId: string, appStoreId: string): Promise<Manifest[]>;
  insert(instanceId: string, manifest: Manifest, now: string): Promise<void>;
  /** Deletes one version or all; returns how many rows went. */
  delete(instanceId: string, appStoreId: string, version?: string): Promise<number>;
}

export class KnexCatalogueRepo implements CatalogueRepo {
  constructor(private readonly db: Db) {}

  async list(instanceId: string) {
    const rows = await this.db('catalogue_manifests').where({ instance_id: instanceId }).select('manifest');
    return rows.map((r: { manifest: string }) => json<Manifest>(r.manifest));
  }

  async versions(instanceId: string, appStoreId: string) {
    const rows = await this.db('catalogue_manifests').where({ instance_id: instanceId, app_store_id: appStoreId }).select('manifest');
    return rows.map((r: { manifest: string }) => json<Manifest>(r.manifest));
  }

  async insert(instanceId: string, manifest: Manifest, now: string) {
    await this.db('catalogue_manifests').insert({
      instance_id: instanceId,
      app_store_id: manifest.id,
      version: manifest.version,
      manifest: JSON.stringify(manifest),
      created_at: now,
    });
  }

  async delete(instanceId: string, appStoreId: string, version?: string) {
    const query = this.db('catalogue_manifests').where({ instance_id: instanceId, app_store_id: appStoreId });
    return version ? query.andWhere({ version }).delete() : query.delete();
  }
}
