import fs from 'node:fs';
import path from 'node:path';
import type { AppRepo } from '../apps/app-repo';
import type { InstanceRepo } from '../instances/instance-repo';
import type { TokenRepo } from '../tokens/token-repo';
import type { AppRuntime } from '../apps/app-runtime';
import type { PlatformContainers } from '../platform/platform-containers';
import { volumeName } from '../apps/container-spec';
import type { AppPublisher } from '../apps/app-publisher';
import type { DashboardPublisher } from '../proxy/reverse-proxy';
import type { TaskContext } from '../tasks/task-handler';
import type { TaskService } from '../tasks/task-service';
import type { Logger } from '../core/logger';
import type { AppDnsStep } from '../apps/app-dns-step';
import { dashboardOwner, type AppDns } from '../domains/app-dns';

/**
 * Deletes a tenant, step by step, each step converging so a run interrupted by a crash runs again from the
 * top and finishes: the apps (containers, data volumes, proxy entries), the modules' platform containers and
 * their volumes, the tenant's network, its tokens, then its exports, then the instance row, whose deletion
 * cascades to everything else it owns (users, groups, tasks, audit log, domains, …). Apps' DNS records are removed through their providers; a provider that fails is
 * logged and does not stop the deletion (the records stay at the provider).
 */
export class TenantDeletion {
  constructor(
    private readonly deps: {
      instances: InstanceRepo;
      apps: AppRepo;
      tokens: TokenRepo;
      runtime: AppRuntime;
      /** Modules' containers that are not apps (mail server, addon databases, jobs), with their volumes. */
      platform: Pick<PlatformContainers, 'removeAll'>;
      publisher: AppPublisher & DashboardPublisher;
      dns: Pick<AppDnsStep, 'remove'> & Pick<AppDns, 'removeOwned'>;
      logger: Logger;
      dataDir: string;
      dropCaches: (instanceId: string) => void;
      /** Stops the tenant's other tasks and waits (up to a minute) for them to end. */
      tasks: Pick<TaskService, 'stopAllOf'>;
      /** The tenant's backups on its backup target. */
      removeBackups: (instanceId: string) => Promise<void>;
    },
  ) {}

  async run(instanceId: string, ctx: TaskContext): Promise<unknown> {
    const instance = await this.deps.instances.get(instanceId);
    if (!instance) return { instanceId, removed: true };
    // An install or export still running would work on what this removes (and could bring a container back).
    step(ctx, 5, 'Stopping the tenant\'s tasks');
    const stoppedTasks = await this.deps.tasks.stopAllOf(instanceId, ctx.task.id, 60_000);
    const apps = await this.deps.apps.list(instanceId);
    for (const [index, app] of apps.entries()) {
      step(ctx, 10 + Math.round((index / Math.max(apps.length, 1)) * 60), `Removing app ${app.fqdn}`);
      await this.deps.publisher.unpublish(app);
      await this.deps.dns.remove(app).catch((err: Error) =>
        this.deps.logger.warn({ instanceId, appId: app.id, err: err.message }, 'removing the app\'s DNS records failed; they stay at the provider'),
      );
      await this.deps.runtime.removeContainers(app.id);
      ctx.log(`Removed the containers of ${app.fqdn}`);
      await this.deps.runtime.removeVolume(volumeName(app.id));
      ctx.log(`Removed the data of ${app.fqdn}`);
      await this.deps.apps.delete(app.id);
    }
    step(ctx, 72, 'Removing the dashboard\'s site and DNS record');
    await this.deps.publisher.unpublishDashboard(instanceId);
    await this.deps.dns.removeOwned(instanceId, dashboardOwner(instanceId)).catch((err: Error) =>
      this.deps.logger.warn({ instanceId, err: err.message }, 'removing the dashboard\'s DNS record failed; it stays at the provider'),
    );
    step(ctx, 74, 'Removing the tenant\'s platform containers');
    await this.deps.platform.removeAll(instanceId);
    // After every container on it has gone: the engine refuses to remove a network in use.
    step(ctx, 75, 'Removing the tenant network');
    await this.deps.runtime.removeNetwork(instanceId);
    step(ctx, 80, 'Removing exports');
    fs.rmSync(path.join(this.deps.dataDir, 'exports', instanceId), { recursive: true, force: true });
    step(ctx, 82, 'Removing backups');
    await this.deps.removeBackups(instanceId);
    step(ctx, 85, 'Revoking tokens');
    await this.deps.tokens.deleteForInstance(instanceId);
    step(ctx, 95, 'Removing the instance');
    // The task row itself belongs to the instance: it goes with it, so the outcome is the row's absence.
    await this.deps.instances.delete(instanceId);
    this.deps.dropCaches(instanceId);
    // The task row went with the instance: this line (and its attempt) is what is left of the outcome.
    this.deps.logger.info({ instanceId, domain: instance.domain, apps: apps.length, stoppedTasks, taskId: ctx.task.id, attempt: ctx.task.attempt }, 'instance deleted');
    return { instanceId, removed: true };
  }
}

function step(ctx: TaskContext, percent: number, message: string): void {
  ctx.progress(percent, message);
  ctx.log(message);
}
