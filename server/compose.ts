import path from 'node:path';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type Docker from 'dockerode';
import { createBoxSurface } from '../api/box/surface';
import { createSchedulerSurface } from '../api/scheduler/surface';
import { createHttpApp } from '../api/http/app';
import type { Surface } from '../api/openapi/surface';
import { LoginThrottle, type LoginThrottleLimits } from '../services/auth/login-throttle';
import { CloudronService } from '../services/cloudron/cloudron-service';
import { DashboardSetupService } from '../services/cloudron/dashboard-setup';
import { DomainSync } from '../services/domains/domain-sync';
import type { Config } from '../services/core/config';
import { systemClock, type Clock } from '../services/core/clock';
import { createLogger, type Logger } from '../services/core/logger';
import { createDatabase, type Db } from '../services/db/database';
import { migrateLatest } from '../services/db/migrate';
import { createStore, type Store } from './store';
import { createDocker } from '../services/docker/docker-client';
import { IptablesIsolation } from '../services/docker/network-firewall';
import { HealthService } from '../services/health/health-service';
import { InstanceService } from '../services/instances/instance-service';
import { createRedis, pingRedis, redisOptions } from '../services/queue/redis';
import { TaskQueue } from '../services/queue/task-queue';
import { TaskEvents } from '../services/tasks/task-events';
import { TaskService } from '../services/tasks/task-service';
import { FairShare } from '../services/tasks/fair-share';
import { buildTaskHandlers } from '../workers/handlers';
import { TaskCatalogue } from '../services/tasks/task-catalogue';
import { TEST_TASK_TYPES } from '../services/tasks/test-tasks';
import { APP_TASK_TYPE } from '../services/apps/app-tasks';
import { AppSettler } from '../services/apps/app-settle';
import { BACKUP_TASK_TYPES } from '../services/backups/backup-tasks';
import { RENEW_CERTS_TASK_TYPE } from '../services/certificates/certificate-tasks';
import { PREPARE_DASHBOARD_TASK_TYPE } from '../services/cloudron/cloudron-tasks';
import { SYNC_DOMAIN_TASK_TYPE } from '../services/domains/domain-tasks';
import { TENANT_TASK_TYPES } from '../services/tenants/tenant-tasks';
import { TaskReaper, type ReaperTiming } from '../workers/task-reaper';
import { scheduleRetention } from '../workers/retention';
import { TaskRunner, type RunnerTiming } from '../workers/task-runner';
import { TokenService } from '../services/tokens/token-service';
import { ProfileService } from '../services/users/profile-service';
import { UserService } from '../services/users/user-service';
import { InvitationService } from '../services/users/invitation-service';
import { NoMailer, SmtpMailer } from '../services/mail/mailer';
import { NotificationService } from '../services/notifications/notification-service';
import { BackupFreshness } from '../services/backups/backup-freshness';
import { BackupDrill } from '../services/backups/backup-drill';
import { GroupService } from '../services/groups/group-service';
import { EventlogService } from '../services/eventlog/eventlog-service';
import { SettingsService } from '../services/settings/settings-service';
import { version } from './version';
import { AppLifecycle } from '../services/apps/app-lifecycle';
import { AppService } from '../services/apps/app-service';
import { AppHealthMonitor } from '../services/apps/app-health';
import { AppReconciler } from '../services/apps/app-reconciler';
import { CatalogueService, loadBuiltinCatalogue } from '../services/apps/catalogue';
import { LocalHostPorts } from '../services/apps/host-ports';
import { NoPublisher } from '../services/proxy/reverse-proxy';
import { AcmeClientIssuer } from '../services/certificates/acme-issuer';
import { CertificateService } from '../services/certificates/certificate-service';
import { CertificateRenewal, RenewalSchedule } from '../services/certificates/certificate-renewal';
import { scheduleRenewals } from '../workers/certificate-tasks';
import { WebrootChallenges } from '../services/certificates/challenge-store';
import { DnsChallenges } from '../services/certificates/dns-challenges';
import { AppDns } from '../services/domains/app-dns';
import { BoxIp } from '../services/domains/box-ip';
import { DnsProviders, PassiveProvider } from '../services/domains/dns-provider';
import { DomainService } from '../services/domains/domain-service';
import { OpensslFallbackCertificates } from '../services/domains/fallback-cert';
import { Rfc2136Provider } from '../services/domains/rfc2136-provider';
import { PowerDnsProvider } from '../services/domains/powerdns-provider';
import { CloudflareProvider } from '../services/domains/cloudflare-provider';
import { DigitalOceanProvider } from '../services/domains/digitalocean-provider';
import { Route53Provider } from '../services/domains/route53-provider';
import { JsonApi } from '../services/domains/json-api';
import { NginxCommand, NginxPublisher } from '../services/proxy/nginx-publisher';
import { DockerRuntime } from '../services/docker/docker-runtime';
import { DockerPlatformContainers } from '../services/docker/docker-platform-containers';
import type { PlatformContainers } from '../services/platform/platform-containers';
import { AppMonitorLoop } from '../workers/app-monitor';
import { createAdminSurface } from '../api/admin/surface';
import { renderAdminError } from '../api/admin/errors';
import { AdminPassphrase } from '../services/tenants/admin-passphrase';
import { Contexts } from '../services/tenants/contexts';
import { TenantDeletion } from '../services/tenants/tenant-deletion';
import { TenantExporter } from '../services/tenants/tenant-export';
import { TenantFsck } from '../services/tenants/tenant-fsck';
import { TenantService } from '../services/tenants/tenant-service';
import { AppBackupRunner } from '../services/backups/app-backup';
import { BackupRetention } from '../services/backups/backup-retention';
import { BackupService } from '../services/backups/backup-service';
import { BackupTargets } from '../services/backups/backup-target';
import { BoxBackups } from '../services/backups/box-backup';
import { BoxRestore } from '../services/backups/box-restore';
import { RestoreService } from '../services/cloudron/restore-service';
import { BackupSchedule } from '../services/backups/backup-schedule';
import { scheduleBackups } from '../workers/backup-schedule';

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
  /** Set when this process runs task workers. */
  runner: TaskRunner | undefined;
  reaper: TaskReaper | undefined;
  /** Stops workers (draining for up to the grace period), then closes every connection. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  /** Where Redis is: REDIS_URL, or the supervised private server's socket. */
  redisUrl: string;
  logger?: Logger;
  clock?: Clock;
  /** PostgreSQL schema (tests give each file its own). */
  dbSchema?: string;
  loginLimits?: LoginThrottleLimits;
  /** Run task workers, the reaper and task retention in this process (`berth serve`, `berth worker`). */
  workers?: boolean;
  /**
   * With workers: run the clock-driven schedules too (automatic backups every ten minutes, certificate renewal
   * daily). Default true; tests turn it off and drive the schedules themselves, so a ten-minute mark cannot start
   * a cleanup in the middle of a test.
   */
  schedules?: boolean;
  runnerTiming?: RunnerTiming;
  reaperTiming?: ReaperTiming;
}

/** The composition root: config → database → services → HTTP surfaces. No module keeps state of its own. */
export async function composeBerth(config: Config, options: ComposeOptions): Promise<Berth> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;

  const db = createDatabase(config.databaseUrl, { schema: options.dbSchema });
  await migrateLatest(db);
  const store = createStore(db);
  const redis = createRedis(options.redisUrl);
  let redisAway = false;
  redis.on('error', (err) => {
    if (!redisAway) logger.warn({ err: err.message }, 'Redis is unreachable: new tasks are refused (503) until it is back');
    redisAway = true;
  });
  redis.on('ready', () => {
    if (redisAway) logger.info('Redis is reachable again');
    redisAway = false;
  });
  const docker = createDocker(config.dockerHost);

  const instances = new InstanceService({ instances: store.instances, clock });
  await instances.ensureDefault();
  const eventlog = new EventlogService({ events: store.eventlog, clock });
  const tokens = new TokenService({ tokens: store.tokens, clock, eventlog });
  const throttle = new LoginThrottle(clock, options.loginLimits);
  const profile = new ProfileService({ users: store.users, tokens, eventlog, throttle, clock });
  const users = new UserService({ users: store.users, groups: store.groups, tokens: store.tokens, transactor: store, eventlog, clock });
  const groups = new GroupService({ groups: store.groups, users: store.users, transactor: store, eventlog, clock });
  const settings = new SettingsService({ settings: store.settings, eventlog, clock });
  const mailer = config.smtpUrl ? new SmtpMailer(config.smtpUrl, config.mailFrom) : new NoMailer();
  const notifications = new NotificationService({ notifications: store.notifications, users: store.users, mailer, clock, logger });
  // Tasks first: every module's service may start one. The service needs the catalogue (each module's types and
  // settle hooks), never the handlers, so nothing here waits for a later variable.
  const taskTypes = new TaskCatalogue({ logger }).add(
    APP_TASK_TYPE, ...BACKUP_TASK_TYPES, RENEW_CERTS_TASK_TYPE, PREPARE_DASHBOARD_TASK_TYPE, SYNC_DOMAIN_TASK_TYPE, ...TENANT_TASK_TYPES,
  );
  if (config.testTasks) taskTypes.add(...TEST_TASK_TYPES);
  const subscriber = createRedis(options.redisUrl, { enableOfflineQueue: true });
  subscriber.on('error', () => undefined);
  const events = new TaskEvents({ publisher: redis, subscriber, logger, prefix: config.redisPrefix });
  events.start();
  const queue = new TaskQueue(redis, config.redisPrefix);
  const tasks = new TaskService({ tasks: store.tasks, catalogue: taskTypes, queue, events, clock });
  // An app task that ends without its handler writing the outcome (stopped, timed out, crashed) moves its app to error.
  const settler = new AppSettler({ apps: store.apps, tasks: store.tasks, clock });
  taskTypes.onSettled(APP_TASK_TYPE, (settled) => settler.settled(settled));

  // A local socket means the engine is on this machine: its volume folders and bridges may be ours to use.
  const engineIsLocal = !config.dockerHost || config.dockerHost.startsWith('unix:');
  const runtime = new DockerRuntime(docker, { hostReads: engineIsLocal, firewall: engineIsLocal ? new IptablesIsolation({ logger }) : undefined });
  const platform = new DockerPlatformContainers(docker, runtime);
  const hostPorts = new LocalHostPorts();
  const providers = new DnsProviders([
    new PassiveProvider('noop'),
    new PassiveProvider('manual'),
    new PassiveProvider('wildcard'),
    new Rfc2136Provider({ nsupdate: config.nsupdate, timeoutSecs: config.dnsTimeoutSecs }),
    new PowerDnsProvider({ timeoutSecs: config.dnsTimeoutSecs }),
    // The cloud APIs' addresses are the operator's (config), never a tenant's: no pointing Berth at other hosts.
    new CloudflareProvider(new JsonApi({ label: 'Cloudflare', baseUrl: config.dnsApis.cloudflare, timeoutSecs: config.dnsTimeoutSecs })),
    new DigitalOceanProvider(new JsonApi({ label: 'DigitalOcean', baseUrl: config.dnsApis.digitalocean, timeoutSecs: config.dnsTimeoutSecs })),
    new Route53Provider({ endpoint: config.dnsApis.route53, timeoutSecs: config.dnsTimeoutSecs }),
  ]);
  const boxIp = new BoxIp({ settings: store.settings, publicIp: config.publicIp });
  const domains = new DomainService({
    domains: store.domains,
    apps: store.apps,
    certificateRepo: store.certificates,
    providers,
    certificates: new OpensslFallbackCertificates(),
    boxIp,
    eventlog,
    clock,
    dnsServers: config.dnsServers,
    tasks,
  });
  const appDns = new AppDns({ domains: store.domains, records: store.dnsRecords, providers, boxIp, clock });
  // Without BERTH_NGINX_CONF apps are reached on their loopback ports only.
  const certificates = config.nginx && config.acme
    ? new CertificateService({
      repo: store.certificates,
      issuer: new AcmeClientIssuer({ challenges: new WebrootChallenges(path.join(config.nginx.sitesDir, 'acme-challenge')), caFile: config.acme.caFile, timeoutSecs: config.acme.timeoutSecs }),
      dnsChallenges: new DnsChallenges({ providers, dnsServers: config.dnsServers, waitSecs: config.acme.dnsWaitSecs }),
      eventlog, clock, email: config.acme.email,
    })
    : undefined;
  const publisher = config.nginx
    ? new NginxPublisher({ config: config.nginx, domains: store.domains, nginx: new NginxCommand(config.nginx), certificates, dashboardUpstream: ownListener(config) })
    : new NoPublisher();
  const dashboardSetup = new DashboardSetupService({
    settings: store.settings, taskRepo: store.tasks, domains, dns: appDns, publisher, eventlog, clock, tasks,
  });
  const backupTargets = new BackupTargets({ settings: store.settings, defaultFolder: config.backupRoots[0] });
  const backupLimits = { roots: config.backupRoots, endpoints: config.backupEndpoints };
  const restore = new RestoreService({ settings: store.settings, instances: store.instances, taskRepo: store.tasks, tasks, targets: backupTargets, eventlog, limits: backupLimits });
  const cloudron = new CloudronService({
    settings: store.settings, users: store.users, transactor: store, tokens, throttle, eventlog, clock, version, setup: dashboardSetup,
    restoreStatus: (instanceId) => restore.status(instanceId),
  });
  const invitations = new InvitationService({
    users: store.users,
    userTokens: store.userTokens,
    transactor: store,
    tokens,
    mailer,
    eventlog,
    throttle,
    clock,
    // The tenant's dashboard: its set-up domain, else the domain the admin API gave it, else BERTH_PUBLIC_URL.
    dashboardUrl: async (instanceId) => {
      const { adminFqdn } = await cloudron.config(instanceId);
      const domain = adminFqdn || (await store.instances.get(instanceId))?.domain;
      return domain ? `https://${domain}` : config.publicUrl;
    },
  });
  const appBackups = new AppBackupRunner({ backups: store.backups, runtime, targets: backupTargets, clock });
  const lifecycle = new AppLifecycle({
    apps: store.apps, runtime, hostPorts, publisher, dns: appDns, clock, startTimeoutMs: config.appStartTimeoutSecs * 1000, backups: appBackups,
  });
  const deletion = new TenantDeletion({
    instances: store.instances, apps: store.apps, tokens: store.tokens, runtime, platform, publisher, dns: appDns, logger, dataDir: config.dataDir, dropCaches: (id) => instances.forget(id), removeBackups: (id) => backupTargets.removeAll(id),
    tasks,
  });
  const exporter = new TenantExporter({
    exports: store.exports,
    instances: store.instances,
    users: store.users,
    groups: store.groups,
    apps: store.apps,
    settings: store.settings,
    events: store.eventlog,
    runtime,
    dataDir: config.dataDir,
  });
  const handlers = buildTaskHandlers(taskTypes, {
    testTasks: config.testTasks,
    crashAt: config.testCrashAt,
    concurrency: config.taskConcurrency,
    apps: lifecycle,
    tenants: { deletion, exporter },
    backups: {
      box: new BoxBackups({ apps: store.apps, backups: store.backups, tenantDump: store.tenantDump, appBackups, targets: backupTargets, clock, version }),
      retention: new BackupRetention({ backups: store.backups, targets: backupTargets, clock }),
      drill: new BackupDrill({ backups: store.backups, appBackups, runtime, targets: backupTargets, notifications }),
      restore: new BoxRestore({ settings: store.settings, appRepo: store.apps, transactor: store, targets: backupTargets, apps: lifecycle, eventlog, clock }),
    },
    renewal: new CertificateRenewal({ apps: store.apps, certificates, publisher, notifications }),
    domains: {
      dashboard: dashboardSetup,
      sync: new DomainSync({ domains: store.domains, apps: store.apps, dns: appDns, publisher, dashboard: dashboardSetup }),
    },
  });
  const taskDeps = { tasks: store.tasks, catalogue: taskTypes, queue, events, clock, logger };
  const runner = options.workers
    ? new TaskRunner({
        ...taskDeps,
        handlers,
        connection: redisOptions(options.redisUrl),
        prefix: config.redisPrefix,
        timing: options.runnerTiming ?? { heartbeatMs: config.taskHeartbeatMs, flushMs: 250 },
        fairShare: new FairShare({ tasks: store.tasks, instances: store.instances, share: config.tenantTaskShare, clock }),
      })
    : undefined;
  const reaper = options.workers
    ? new TaskReaper({
        ...taskDeps,
        timing: options.reaperTiming ?? { staleAfterMs: config.taskStaleMs, intervalMs: Math.ceil(config.taskStaleMs / 3) },
      })
    : undefined;
  // App tasks that ended while no process was up to run their settle hook (or whose rows are gone).
  await settler.sweep().catch((err) => logger.warn({ err: (err as Error).message }, 'settling apps with their ended tasks failed'));
  runner?.start();
  reaper?.start();

  const retention = options.workers
    ? scheduleRetention({
        tasks,
        eventlog,
        clock,
        logger,
        days: { tasks: config.taskRetentionDays, events: config.eventRetentionDays, loginEvents: config.loginEventRetentionDays },
      })
    : undefined;

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
  const backups = new BackupService({ backups: store.backups, apps: store.apps, tasks, targets: backupTargets, eventlog, clock, limits: backupLimits });
  const freshness = new BackupFreshness({ instances: store.instances, settings: store.settings, backups: store.backups, notifications, clock });
  const backupSchedule = new BackupSchedule({
    instances: store.instances, settings: store.settings, tasks: store.tasks, backupRepo: store.backups, backups, freshness, clock, logger,
  });
  const schedules = options.workers && options.schedules !== false;
  const backupCron = schedules ? scheduleBackups(backupSchedule, logger) : undefined;
  const renewalCron = schedules && certificates ? scheduleRenewals(new RenewalSchedule({ certificates, tasks, logger }), logger) : undefined;
  const reconciler = new AppReconciler({ apps: store.apps, instances: store.instances, runtime, service: apps, logger });
  const contexts = Contexts.fromFile(config.contextsFile);
  const tenants = new TenantService({
    instances: store.instances, users: store.users, apps: store.apps, exports: store.exports, codes: store.codes, tokenRepo: store.tokens, transactor: store,
    tokens, invitations, tasks, eventlog, contexts, clock, sessionCodeLifetimeMs: config.sessionCodeSecs * 1000, changed: (id) => instances.forget(id),
  });
  const passphrase = AdminPassphrase.inDataDir(config.dataDir);
  const adminSurface = await createAdminSurface(
    { passphrase, throttle: new LoginThrottle(clock, options.loginLimits), tenants, contexts, fsck: new TenantFsck({ apps: store.apps, exports: store.exports, runtime, reconciler, dataDir: config.dataDir }), exporter, tasks },
    { bodyLimit: config.bodyLimit },
  );
  const monitor = options.workers
    ? new AppMonitorLoop({
        monitor: new AppHealthMonitor({
          apps: store.apps,
          runtime,
          eventlog,
          clock,
          logger,
          recreate: async (app) => void (await reconciler.recreate(app)),
        }),
        redis,
        prefix: config.redisPrefix,
        intervalMs: config.appHealthIntervalSecs * 1000,
        logger,
      })
    : undefined;
  if (options.workers) {
    monitor?.start();
    // The engine may have lost containers while Berth was down (a wiped engine, a manual `docker rm`).
    void reconciler
      .reconcile({ removeOrphans: false })
      .catch((err) => logger.warn({ err: (err as Error).message }, 'reconciling apps with the Docker engine failed; the health monitor retries'));
  }

  const health = new HealthService({
    clock,
    probes: [
      { name: 'database', check: () => store.ping() },
      { name: 'redis', check: () => pingRedis(redis) },
      { name: 'docker', check: async () => void (await docker.ping()) },
    ],
    reports: [{ name: 'backups', state: async () => ((await freshness.overdueCount()) ? 'overdue' : 'ok') }],
  });

  const surfaces = [
    await createBoxSurface(
      { instances, cloudron, restore, setup: dashboardSetup, profile, tokens, tasks, users, invitations, groups, eventlog, settings, apps, catalogue, domains, backups, notifications },
      { bodyLimit: config.bodyLimit },
    ),
    await createSchedulerSurface(health, { bodyLimit: config.bodyLimit }),
  ];
  const http = createHttpApp({ surfaces, logger });
  const adminHttp = createHttpApp({ surfaces: [adminSurface], logger, renderError: renderAdminError, docs: false });

  return {
    config,
    logger,
    db,
    store,
    redis,
    docker,
    surfaces,
    http,
    admin: { http: adminHttp, surface: adminSurface, passphrase },
    tasks,
    taskTypes,
    tenants,
    apps,
    reconciler,
    platform,
    backupSchedule,
    runner,
    reaper,
    async close() {
      // Workers first, so running tasks can still write; then the queue, then the connections.
      await monitor?.stop();
      await runner?.stop(config.shutdownGraceSecs * 1000);
      await reaper?.stop();
      await retention?.stop();
      await backupCron?.stop();
      await renewalCron?.stop();
      await queue.close();
      await Promise.all([closeRedis(subscriber), closeRedis(redis)]);
      await db.destroy();
    },
  };
}

/** Where nginx reaches Berth's box API: its listener, on loopback when it listens on every address. */
function ownListener(config: Config): string {
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  return `${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

/** QUIT when connected (a clean close with no lingering timer), else just drop the connection attempts. */
async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
