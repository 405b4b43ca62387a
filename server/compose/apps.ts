import { AppHealthMonitor } from '../../services/apps/app-health';
import { AppLifecycle } from '../../services/apps/app-lifecycle';
import { AppReconciler } from '../../services/apps/app-reconciler';
import { AppService } from '../../services/apps/app-service';
import { AppSettler } from '../../services/apps/app-settle';
import { APP_TASK_TYPE } from '../../services/apps/app-tasks';
import { CatalogueService, loadBuiltinCatalogue } from '../../services/apps/catalogue';
import { appTaskHandler } from '../../workers/app-task';
import { AppMonitorLoop } from '../../workers/app-monitor';
import type { BackupStorage } from './backups';
import type { Core } from './core';
import type { Domains } from './domains';
import type { Identity } from './identity';
import type { WorkerParts } from './module';
import type { Platform } from './platform';
import type { Proxy } from './proxy';
import type { Tasks } from './tasks';

export type Apps = Awaited<ReturnType<typeof composeApps>>;

/** Apps: the service, the lifecycle its tasks run, the settle hook, the health monitor and the start-up reconciliation. */
export async function composeApps(
  { config, store, clock, logger, redis }: Core,
  { eventlog }: Identity,
  { types, tasks }: Tasks,
  { runtime, hostPorts }: Platform,
  { appDns }: Domains,
  { publisher }: Proxy,
  { appBackups }: BackupStorage,
) {
  // An app task that ends without its handler writing the outcome (stopped, timed out, crashed) moves its app to error.
  const settler = new AppSettler({ apps: store.apps, tasks: store.tasks, clock });
  types.add(APP_TASK_TYPE).onSettled(APP_TASK_TYPE, (settled) => settler.settled(settled));
  const lifecycle = new AppLifecycle({
    apps: store.apps, runtime, hostPorts, publisher, dns: appDns, clock, startTimeoutMs: config.appStartTimeoutSecs * 1000, backups: appBackups,
  });
  const catalogue = new CatalogueService({ builtin: loadBuiltinCatalogue(), repo: store.catalogue, eventlog, clock });
  const apps = new AppService({
    apps: store.apps,
    transactor: store,
    users: store.users,
    groups: store.groups,
    instances: store.instances,
    backups: store.backups,
    taskRepo: store.tasks,
    tasks,
    runtime,
    hostPorts,
    catalogue,
    eventlog,
    clock,
    reservedPorts: [config.port, config.adminPort],
    dns: appDns,
  });
  const reconciler = new AppReconciler({ apps: store.apps, instances: store.instances, runtime, service: apps, logger });
  const monitor = new AppMonitorLoop({
    monitor: new AppHealthMonitor({
      apps: store.apps, runtime, eventlog, clock, logger, recreate: async (app) => void (await reconciler.recreate(app)),
    }),
    redis,
    prefix: config.redisPrefix,
    intervalMs: config.appHealthIntervalSecs * 1000,
    logger,
  });
  const workers: WorkerParts = {
    handlers: [appTaskHandler(lifecycle)],
    loops: [monitor],
    atStart: [
      // The engine may have lost containers while Berth was down (a wiped engine, a manual `docker rm`).
      () => reconciler
        .reconcile({ removeOrphans: false })
        .then(() => undefined, (err) => logger.warn({ err: (err as Error).message }, 'reconciling apps with the Docker engine failed; the health monitor retries')),
    ],
  };
  // App tasks that ended while no process was up to run their settle hook (or whose rows are gone).
  await settler.sweep().catch((err) => logger.warn({ err: (err as Error).message }, 'settling apps with their ended tasks failed'));
  return { lifecycle, catalogue, apps, reconciler, workers };
}
