import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import type { Clock } from '../core/clock';
import { conflict, forbidden, notFound } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import { projectRoot } from '../core/paths';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { CatalogueRepo } from './catalogue-repo';
import { parseManifest, type Manifest } from './manifest';

export interface CatalogueEntry {
  manifest: Manifest;
  /** Shipped with Berth (read-only) or added by an admin of the tenant. */
  source: 'builtin' | 'custom';
}

/** The manifests shipped with Berth, in services/apps/catalogue/*.json; each is checked at start-up. */
export function loadBuiltinCatalogue(dir = path.join(projectRoot(), 'services', 'apps', 'catalogue')): Manifest[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      try {
        return parseManifest(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
      } catch (err) {
        throw new Error(`catalogue manifest ${file}: ${(err as Error).message}`, { cause: err });
      }
    });
}

/** Semantic-version order (pre-releases before their release, `rc.2` before `rc.10`). */
export const compareVersions = (a: string, b: string): number => semver.compare(a, b);

/**
 * The local catalogue an `appStoreId` installs from: manifests shipped with Berth plus ones the tenant's admins
 * add. No internet is involved; an app installs when the engine has (or can pull) its image.
 */
export class CatalogueService {
  constructor(private readonly deps: { builtin: Manifest[]; repo: CatalogueRepo; eventlog: EventlogService; clock: Clock }) {}

  /** The newest version of each app. */
  async list(instanceId: string): Promise<CatalogueEntry[]> {
    const all = [...this.deps.builtin.map((m) => ({ manifest: m, source: 'builtin' as const })), ...(await this.custom(instanceId))];
    const newest = new Map<string, CatalogueEntry>();
    for (const entry of all) {
      const seen = newest.get(entry.manifest.id);
      if (!seen || compareVersions(entry.manifest.version, seen.manifest.version) > 0) newest.set(entry.manifest.id, entry);
    }
    return [...newest.values()].sort((a, b) => a.manifest.title.localeCompare(b.manifest.title));
  }

  /** One app's manifest: the given version, or the newest. */
  async get(instanceId: string, appStoreId: string, version?: string): Promise<CatalogueEntry> {
    const versions = await this.versions(instanceId, appStoreId);
    if (!versions.length) throw notFound(`No app ${appStoreId} in the catalogue`);
    if (!version) return versions[versions.length - 1];
    const entry = versions.find((e) => e.manifest.version === version);
    if (!entry) throw notFound(`The catalogue has no version ${version} of ${appStoreId}`);
    return entry;
  }

  async add(actor: Actor, raw: unknown): Promise<CatalogueEntry> {
    const manifest = parseManifest(raw);
    if (this.deps.builtin.some((m) => m.id === manifest.id && m.version === manifest.version)) {
      throw conflict(`${manifest.id} ${manifest.version} ships with Berth`);
    }
    try {
      await this.deps.repo.insert(actor.instanceId, manifest, this.deps.clock().toISOString());
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`The catalogue already has ${manifest.id} ${manifest.version}`);
      throw err;
    }
    await this.deps.eventlog.record(actor, 'catalogue.add', manifest.id, { version: manifest.version });
    return { manifest, source: 'custom' };
  }

  /** Removes the versions an admin added (all, or one); shipped manifests stay. */
  async remove(actor: Actor, appStoreId: string, version?: string): Promise<void> {
    const removed = await this.deps.repo.delete(actor.instanceId, appStoreId, version);
    if (!removed) {
      if (this.deps.builtin.some((m) => m.id === appStoreId)) throw forbidden(`${appStoreId} ships with Berth and cannot be removed`);
      throw notFound(`No app ${appStoreId}${version ? ` ${version}` : ''} added to the catalogue`);
    }
    await this.deps.eventlog.record(actor, 'catalogue.remove', appStoreId, { version: version ?? 'all' });
  }

  private async versions(instanceId: string, appStoreId: string): Promise<CatalogueEntry[]> {
    const builtin = this.deps.builtin.filter((m) => m.id === appStoreId).map((m) => ({ manifest: m, source: 'builtin' as const }));
    const custom = (await this.deps.repo.versions(instanceId, appStoreId)).map((m) => ({ manifest: m, source: 'custom' as const }));
    return [...builtin, ...custom].sort((a, b) => compareVersions(a.manifest.version, b.manifest.version));
  }

  private async custom(instanceId: string): Promise<CatalogueEntry[]> {
    return (await this.deps.repo.list(instanceId)).map((m) => ({ manifest: m, source: 'custom' as const }));
  }
}
