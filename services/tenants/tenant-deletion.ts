import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../db/store';
import type { AppRuntime } from '../apps/app-runtime';
import { volumeName } from '../apps/container-spec';
import type { AppPublisher } from '../apps/reverse-proxy';
import type { TaskContext } from '../tasks/task-registry';
import type { Logger } from '../core/logger';

/**
 * Deletes a tenant, step by step, each step converging so a run interrupted by a crash runs again from the
 * top and finishes: the apps (containers, data volumes, proxy entries), the tenant's network, its tokens, then
 * its exports, then the instance row, whose deletion cascades to everything else it owns (users, groups, tasks, audit log, …).
 * DNS records join this list with the domains work.
 */
export class TenantDeletion {
  constructor(
    private readonly deps: {
      store: Store;
      runtime: AppRuntime;
      publisher: AppPublisher;
      logger: Logger;
      dataDir: string;
      dropCaches: (instanceId: string) => void;
      /** The tenant's backups on its backup target. */
      removeBackups: (instanceId: string) => Promise<void>;
    },
  ) {}

  async run(instanceId: string, ctx: TaskContext): Promise<unknown> {
    const instance = await this.deps.store.instances.get(instanceId);
    if (!instance) return { instanceId, removed: true };
    const apps = await this.deps.store.apps.list(instanceId);
    for (const [index, app] of apps.entries()) {
      step(ctx, 10 + Math.round((index / Math.max(apps.length, 1)) * 60), `Removing app ${app.fqdn}`);
      await this.deps.publisher.unpublish(app);
      await this.deps.runtime.removeContainers(app.id);
      await this.deps.runtime.removeVolume(volumeName(app.id));
      await this.deps.store.apps.delete(app.id);
    }
    step(ctx, 75, 'Removing the tenant network');
    await this.deps.runtime.removeNetwork(instanceId);
    step(ctx, 80, 'Removing exports');
    fs.rmSync(path.join(this.deps.dataDir, 'exports', instanceId), { recursive: true, force: true });
    step(ctx, 82, 'Removing backups');
    await this.deps.removeBackups(instanceId);
    step(ctx, 85, 'Revoking tokens');
    await this.deps.store.tokens.deleteForInstance(instanceId);
    step(ctx, 95, 'Removing the instance');
    // The task row itself belongs to the instance: it goes with it, so the outcome is the row's absence.
    await this.deps.store.instances.delete(instanceId);
    this.deps.dropCaches(instanceId);
    this.deps.logger.info({ instanceId, domain: instance.domain, apps: apps.length }, 'instance deleted');
    return { instanceId, removed: true };
  }
}

function step(ctx: TaskContext, percent: number, message: string): void {
  ctx.progress(percent, message);
  ctx.log(message);
}
