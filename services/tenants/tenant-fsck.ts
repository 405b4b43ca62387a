import fs from 'node:fs';
import path from 'node:path';
import { validationError } from '../core/errors';
import type { AppRepo } from '../apps/app-repo';
import type { ExportRepo } from './export-repo';
import { isAppContainer, type AppRuntime } from '../apps/app-runtime';
import type { AppReconciler } from '../apps/app-reconciler';
import type { StoredInstance } from '../instances/instance-repo';

/** One finding of fsck: what is inconsistent, and the fixer that repairs it (when there is one). */
export interface Finding {
  type: 'app_container_missing' | 'orphan_container' | 'export_part_missing' | 'quota_exceeded';
  fixer?: Fixer;
  [detail: string]: unknown;
}

export const FIXERS = ['app-containers', 'orphan-containers'] as const;
export type Fixer = (typeof FIXERS)[number];

/**
 * Consistency of one tenant across the database, the Docker engine and the data folder, as cozy-stack's fsck:
 * findings stream one at a time, and each fixable kind has a fixer that can be tried with `dry_run` first.
 */
export class TenantFsck {
  constructor(private readonly deps: { apps: AppRepo; exports: ExportRepo; runtime: AppRuntime; reconciler: AppReconciler; dataDir: string }) {}

  async *check(instance: StoredInstance): AsyncGenerator<Finding> {
    const { apps: appRepo, exports, runtime } = this.deps;
    const apps = await appRepo.list(instance.id);
    // A module's platform containers are not apps: neither missing apps' containers nor orphans.
    const containers = (await runtime.listManaged()).filter((c) => c.instanceId === instance.id && isAppContainer(c));
    const withContainer = new Set(containers.map((c) => c.appId));
    for (const app of apps.filter((a) => a.installationState === 'installed' && !withContainer.has(a.id))) {
      yield { type: 'app_container_missing', app_id: app.id, fqdn: app.fqdn, fixer: 'app-containers' };
    }
    const appIds = new Set(apps.map((a) => a.id));
    for (const container of containers.filter((c) => !appIds.has(c.appId))) {
      yield { type: 'orphan_container', container_id: container.id, name: container.name, app_id: container.appId, fixer: 'orphan-containers' };
    }
    const quotas = instance.quotas;
    if (quotas.apps !== undefined && apps.length > quotas.apps) yield { type: 'quota_exceeded', quota: 'apps', used: apps.length, limit: quotas.apps };
    const memory = apps.reduce((sum, a) => sum + a.memoryLimit, 0);
    if (quotas.memory !== undefined && memory > quotas.memory) yield { type: 'quota_exceeded', quota: 'memory', used: memory, limit: quotas.memory };
    const disk = quotas.disk === undefined ? 0 : await runtime.volumesSize(instance.id);
    if (quotas.disk !== undefined && disk > quotas.disk) yield { type: 'quota_exceeded', quota: 'disk', used: disk, limit: quotas.disk };
    const exportsDir = path.join(this.deps.dataDir, 'exports', instance.id);
    for (const exportId of fs.existsSync(exportsDir) ? fs.readdirSync(exportsDir) : []) {
      const found = await exports.get(instance.id, exportId);
      for (const part of found?.parts ?? []) {
        if (!fs.existsSync(path.join(exportsDir, exportId, part.file))) yield { type: 'export_part_missing', export_id: exportId, file: part.file };
      }
    }
  }

  /** Runs one fixer over what fsck finds; with `dryRun`, only says what it would do. */
  async fix(instance: StoredInstance, fixer: string, dryRun: boolean): Promise<Array<Record<string, unknown>>> {
    if (!(FIXERS as readonly string[]).includes(fixer)) throw validationError(`No fixer ${fixer} (there are: ${FIXERS.join(', ')})`, { field: 'fixer' });
    const done: Array<Record<string, unknown>> = [];
    for await (const finding of this.check(instance)) {
      if (finding.fixer !== fixer) continue;
      if (fixer === 'app-containers') {
        const app = await this.deps.apps.get(instance.id, String(finding.app_id));
        const taskId = dryRun || !app ? null : await this.deps.reconciler.recreate(app);
        done.push({ action: 'recreate', app_id: finding.app_id, task_id: taskId });
      } else {
        if (!dryRun) await this.deps.runtime.removeContainer(String(finding.container_id));
        done.push({ action: 'remove', container_id: finding.container_id, name: finding.name });
      }
    }
    return done;
  }
}
