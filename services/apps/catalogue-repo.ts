import type { Db } from '../db/database';
import { jsonText, mapTable, text } from '../db/columns';
import type { Manifest } from './manifest';

/** Manifests a tenant's admins added to its catalogue, one row per app version. */
export interface CatalogueRepo {
  list(instanceId: string): Promise<Manifest[]>;
  versions(instanceId: string, appStoreId: string): Promise<Manifest[]>;
  insert(instanceId: string, manifest: Manifest, now: string): Promise<void>;
  /** Deletes one version or all; returns how many rows went. */
  delete(instanceId: string, appStoreId: string, version?: string): Promise<number>;
}

const manifests = mapTable<{ instanceId: string; appStoreId: string; version: string; manifest: Manifest; createdAt: string }>(
  'catalogue_manifests',
  { instanceId: text(), appStoreId: text(), version: text(), manifest: jsonText(), createdAt: text() },
);

export class KnexCatalogueRepo implements CatalogueRepo {
  constructor(private readonly db: Db) {}

  async list(instanceId: string) {
    const rows = await this.db('catalogue_manifests').where({ instance_id: instanceId });
    return rows.map((row) => manifests.fromRow(row).manifest);
  }

  async versions(instanceId: string, appStoreId: string) {
    const rows = await this.db('catalogue_manifests').where({ instance_id: instanceId, app_store_id: appStoreId });
    return rows.map((row) => manifests.fromRow(row).manifest);
  }

  async insert(instanceId: string, manifest: Manifest, now: string) {
    await this.db('catalogue_manifests').insert(
      manifests.toRow({ instanceId, appStoreId: manifest.id, version: manifest.version, manifest, createdAt: now }),
    );
  }

  async delete(instanceId: string, appStoreId: string, version?: string) {
    const query = this.db('catalogue_manifests').where({ instance_id: instanceId, app_store_id: appStoreId });
    return version ? query.andWhere({ version }).delete() : query.delete();
  }
}
