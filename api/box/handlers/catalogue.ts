import type { CatalogueEntry } from '../../../services/apps/catalogue';
import type { BoxHandlers } from '../handler-types';
import { actorOf, type BoxServices, noContent, ok, principalOf } from '../services';

const renderEntry = (e: CatalogueEntry) => ({ id: e.manifest.id, version: e.manifest.version, title: e.manifest.title, manifest: e.manifest, source: e.source });

/** The local catalogue at Cloudron's appstore paths. */
export function catalogueHandlers(s: BoxServices) {
  return {
    listCatalogueApps: async (call) => ok({ apps: (await s.catalogue.list(principalOf(call).instanceId)).map(renderEntry) }),
    getCatalogueApp: async (call) => ok(renderEntry(await s.catalogue.get(principalOf(call).instanceId, call.params.appstoreId))),
    getCatalogueAppVersion: async (call) =>
      ok(renderEntry(await s.catalogue.get(principalOf(call).instanceId, call.params.appstoreId, call.params.version))),
    addCatalogueApp: async (call) => ({ status: 201, body: renderEntry(await s.catalogue.add(actorOf(call), call.body.manifest)) }),
    removeCatalogueApp: async (call) => {
      await s.catalogue.remove(actorOf(call), call.params.appstoreId, call.query.version);
      return noContent();
    },
  } satisfies Partial<BoxHandlers>;
}
