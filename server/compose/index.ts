import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type Docker from 'dockerode';
import type { Surface } from '../../api/openapi/surface';
import type { AppReconciler } from '../../services/apps/app-reconciler';
import type { AppService } from '../../services/apps/app-service';
import type { BackupSchedule } from '../../services/backups/backup-schedule';
import type { Config } from '../../services/core/config';
import type { Logger } from '../../services/core/logger';
import type { Db } from '../../services/db/database';
import type { PlatformContainers } from '../../services/platform/platform-containers';
import type { AdminPassphrase } from '../../services/tenants/admin-passphrase';
import type { TaskCatalogue } from '../../services/tasks/task-catalogue';
import type { TaskService } from '../../services/tasks/task-service';
import type { TenantService } from '../../services/tenants/tenant-service';
import type { TaskReaper } from '../../workers/task-reaper';
import type { TaskRunner } from '../../workers/task-runner';
import type { Store } from '../store';
import { composeApps } from './apps';
import { composeBackups, composeBackupStorage } from './backups';
import { composeCertificates } from './certificates';
import { composeCloudron } from './cloudron';
import { composeCore } from './core';
import { composeDomains } from './domains';
import { composeIdentity } from './identity';
import type { ComposeOptions } from './options';
import { composePlatform } from './platform';
import { composeProxy } from './proxy';
import { composeScheduler, type Scheduler } from './scheduler';
import { composeSurfaces } from './surfaces';
import { composeTasks } from './tasks';
import { composeTenants } from './tenants';
import { composeWorkers } from './workers';

export type { ComposeOptions } from './options';

/** Everything one Berth process is made of, built in one place. */
export interface Berth {
  config: Config;
  logger: Logger;
  db: Db;
  store: Store;
  redis: Redis;
  docker: Docker;
  surfaces: Surface[];
  http: Express;
  /** The admin API's app, for its own listener (server/serve.ts opens it once a passphrase is set). */
  admin: { http: Express; surface: Surface; passphrase: AdminPassphrase };
  tasks: TaskService;
  /** Every task type this process knows (tests create tasks by name through it). */
  taskTypes: TaskCatalogue;
  tenants: TenantService;
  apps: AppService;
  reconciler: AppReconciler;
  /** Containers modules run that are not apps (mail server, addon databases, scheduler jobs). */
  platform: PlatformContainers;
  /** Automatic backups (run every ten minutes by processes with workers). */
  backupSchedule: BackupSchedule;
  /** The scheduler's services (jobs, executions, the clock tests tick, the INI file, events). */
  scheduler: Scheduler;
  /** Set when this process runs task workers. */
  runner: TaskRunner | undefined;
  reaper: TaskReaper | undefined;
  /** Stops workers (draining for up to the grace period), then closes every connection. */
  close(): Promise<void>;
}

/**
 * The composition root: each module's file (server/compose/<module>.ts) builds its services from the modules before
 * it and returns a typed record of what it provides (its task run functions and crons among them, as `workers`).
 * This function only orders them. No module keeps state of its own.
 */
export async function composeBerth(config: Config, options: ComposeOptions): Promise<Berth> {
  const core = await composeCore(config, options);
  const identity = await composeIdentity(core);
  const tasks = composeTasks(core);
  const platform = composePlatform(core);
  const domains = composeDomains(core, identity, tasks);
  const certificates = composeCertificates(core, identity, domains);
  const proxy = composeProxy(core, identity, tasks, certificates);
  const backupStorage = composeBackupStorage(core, platform);
  const apps = await composeApps(core, identity, tasks, platform, domains, proxy, backupStorage);
  const backups = composeBackups(core, identity, tasks, platform, backupStorage, apps);
  const cloudron = composeCloudron(core, identity, tasks, domains, proxy, backupStorage);
  const tenants = composeTenants(core, identity, tasks, platform, domains, proxy, backupStorage, apps, cloudron);
  const scheduler = composeScheduler(core, identity, tasks, platform);
  const workers = composeWorkers(core, identity, tasks, [
    tasks.workers, proxy.workers, apps.workers, backups.workers, cloudron.workers, tenants.workers, scheduler.workers,
  ]);
  // A surface takes the services its deps type names from any module: a module's new service needs no edit here.
  const { surfaces, http, admin } = await composeSurfaces(core, { ...identity, ...tasks, ...domains, ...apps, ...backups, ...cloudron, ...tenants, ...scheduler });

  return {
    config,
    logger: core.logger,
    db: core.db,
    store: core.store,
    redis: core.redis,
    docker: core.docker,
    surfaces,
    http,
    admin,
    tasks: tasks.tasks,
    taskTypes: tasks.types,
    tenants: tenants.tenants,
    apps: apps.apps,
    reconciler: apps.reconciler,
    platform: platform.platform,
    backupSchedule: backups.schedule,
    scheduler,
    runner: workers.runner,
    reaper: workers.reaper,
    async close() {
      // Workers first, so running tasks can still write; then the queue, then the connections.
      await workers.close();
      await scheduler.close();
      await tasks.close();
      await core.close();
    },
  };
}
