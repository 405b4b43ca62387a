import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock';
import { conflict, notFound, validationError } from '../core/errors';
import type { Transactor } from '../db/transactor';
import type { BackupRepo } from '../backups/backup-repo';
import type { GroupRepo } from '../groups/group-repo';
import type { InstanceRepo } from '../instances/instance-repo';
import type { TaskRepo } from '../tasks/task-repo';
import type { UserRepo } from '../users/user-repo';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { Principal } from '../auth/principal';
import { hasRole } from '../auth/roles';
import type { TaskService } from '../tasks/task-service';
import { AppChecks, canUse, checkAlternateDomains, describeChanges, explainConflict, same } from './app-checks';
import type { App, AppPatch, AppRepo, PortBinding } from './app-repo';
import type { AppRuntime, ExecSession, LogLine } from './app-runtime';
import { ALLOWED_FROM, PENDING_STATE, type AppOperation } from './app-states';
import { APP_TASK_TYPE, appObjectKey, type AppTaskArgs } from './app-tasks';
import {
  checkDomain, checkEnv, checkIcon, checkLabel, checkLocation, checkMemoryLimit, checkPortBindings, checkTags, fqdnOf,
} from './app-input';
import type { CatalogueService } from './catalogue';
import type { HostPorts } from './host-ports';
import { parseManifest } from './manifest';
import { hostsOf, type AppDnsStep } from './app-dns-step';

export interface InstallInput {
  manifest?: unknown;
  appStoreId?: string;
  location: string;
  domain: string;
  accessRestriction: unknown;
  portBindings?: Record<string, number | null> | null;
  icon?: string | null;
  label?: string | null;
  tags?: string[];
  memoryLimit?: number;
  env?: Record<string, string>;
  sso?: boolean;
  enableBackup?: boolean;
  enableAutomaticUpdate?: boolean;
  alternateDomains?: Array<{ domain: string; subdomain: string }>;
  overwriteDns?: boolean;
}

export type ConfigureInput = Partial<
  Pick<InstallInput, 'location' | 'domain' | 'accessRestriction' | 'portBindings' | 'label' | 'tags' | 'memoryLimit' | 'env' | 'enableBackup' | 'enableAutomaticUpdate' | 'alternateDomains' | 'overwriteDns'>
>;

export interface AppServiceDeps {
  apps: AppRepo;
  /** An app's row and its icon or port bindings, written together. */
  transactor: Transactor<{ apps: AppRepo }>;
  /** Access restrictions (users, groups), quotas (instances), the backup a restore or clone starts from. */
  users: UserRepo; groups: GroupRepo; instances: InstanceRepo; backups: BackupRepo; taskRepo: TaskRepo;
  tasks: TaskService;
  runtime: AppRuntime;
  hostPorts: HostPorts;
  catalogue: CatalogueService;
  eventlog: EventlogService;
  clock: Clock;
  /** Host ports Berth itself listens on, which apps may not take. */
  reservedPorts: number[];
  /** The domain must exist and its DNS must be ours to write (or overwriteDns). */
  dns: AppDnsStep;
}

/** Installing, operating and reading apps. The work on the engine happens in app tasks (app-lifecycle.ts). */
export class AppService {
  private readonly checks: AppChecks;

  constructor(private readonly deps: AppServiceDeps) {
    this.checks = new AppChecks(deps);
  }

  /** Admins see every app of the tenant; other users the apps their access restriction lets them use. */
  async list(principal: Principal): Promise<App[]> {
    const apps = await this.deps.apps.list(principal.instanceId);
    if (hasRole(principal.role, 'admin')) return apps;
    const groups = (await this.deps.groups.groupsOf([principal.userId])).get(principal.userId) ?? [];
    return apps.filter((app) => canUse(app, principal.userId, groups));
  }

  async get(principal: Principal, id: string): Promise<App> {
    const app = await this.find(principal.instanceId, id);
    if (!hasRole(principal.role, 'admin')) {
      const groups = (await this.deps.groups.groupsOf([principal.userId])).get(principal.userId) ?? [];
      if (!canUse(app, principal.userId, groups)) throw notFound('No such app');
    }
    return app;
  }

  /**
   * Checks everything that can be checked before a task starts (manifest, location, ports, limits, the engine),
   * stores the app as pending_install and starts its task. Nothing is left behind when a check fails.
   */
  async install(actor: Actor, input: InstallInput, clone?: { cloneOf: string; backupId: string }): Promise<{ app: App; taskId: number }> {
    const { manifest, appStoreId } = await this.resolveManifest(actor.instanceId, input);
    const location = checkLocation(input.location);
    const domain = checkDomain(input.domain);
    const portBindings = checkPortBindings(input.portBindings, manifest, this.deps.reservedPorts);
    const accessRestriction = await this.checks.checkedAccess(actor.instanceId, input.accessRestriction);
    const now = this.now();
    const app: App = {
      id: randomUUID(),
      instanceId: actor.instanceId,
      appStoreId,
      manifest,
      installationState: 'pending_install',
      runState: 'running',
      health: null,
      healthTime: null,
      taskId: null,
      error: null,
      location,
      domain,
      fqdn: fqdnOf(location, domain),
      accessRestriction,
      label: checkLabel(input.label),
      tags: checkTags(input.tags),
      memoryLimit: checkMemoryLimit(input.memoryLimit, manifest),
      env: checkEnv(input.env),
      sso: input.sso ?? true,
      enableBackup: input.enableBackup ?? true,
      enableAutomaticUpdate: input.enableAutomaticUpdate ?? true,
      alternateDomains: checkAlternateDomains(input.alternateDomains),
      httpPort: null,
      hasIcon: false,
      portBindings,
      createdAt: now,
      updatedAt: now,
    };
    const icon = checkIcon(input.icon);
    await this.deps.dns.check(actor.instanceId, app.id, hostsOf(app), input.overwriteDns ?? false);
    await this.checks.checkQuotas(actor.instanceId, { memoryLimit: app.memoryLimit });
    await this.deps.runtime.ping();
    await this.checks.checkPortsFree(portBindings, app.id);

    await this.deps.transactor
      .transaction(async (repos) => {
        await repos.apps.insert(app);
        if (icon) await repos.apps.setIcon(app.id, icon, now);
      })
      .catch((err) => {
        throw explainConflict(err, app);
      });
    let taskId: number;
    try {
      taskId = await this.startTask(app, { appId: app.id, op: 'install', ...clone }, actor);
    } catch (err) {
      await this.deps.apps.delete(app.id);
      throw err;
    }
    await this.deps.eventlog.record(actor, clone ? 'app.clone' : 'app.install', app.id, {
      appStoreId, manifestId: manifest.id, version: manifest.version, fqdn: app.fqdn, ...clone,
    });
    return { app: { ...app, taskId, hasIcon: Boolean(icon) }, taskId };
  }

  /** start, stop, restart and uninstall: move the app into the operation's pending state and start its task. */
  async operate(actor: Actor, id: string, op: Exclude<AppOperation, 'install' | 'configure' | 'update'>): Promise<number> {
    const app = await this.find(actor.instanceId, id);
    await this.enter(app, op, {});
    if (op === 'uninstall') await this.preempt(app);
    const taskId = await this.startTaskOrRevert(app, op, { appId: app.id, op }, actor);
    await this.deps.eventlog.record(actor, `app.${op}`, app.id, { fqdn: app.fqdn, taskId });
    return taskId;
  }

  /**
   * Changes the app's settings. Label, tags, access and backup flags apply at once; what the container is made
   * from (location, ports, memory, env) needs a configure task, whose id is returned.
   */
  async configure(actor: Actor, id: string, input: ConfigureInput): Promise<{ taskId: number | null }> {
    const app = await this.find(actor.instanceId, id);
    const metadata: AppPatch = {};
    if ('label' in input) metadata.label = checkLabel(input.label);
    if ('tags' in input) metadata.tags = checkTags(input.tags);
    if ('accessRestriction' in input) metadata.accessRestriction = await this.checks.checkedAccess(actor.instanceId, input.accessRestriction);
    if ('enableBackup' in input) metadata.enableBackup = Boolean(input.enableBackup);
    if ('enableAutomaticUpdate' in input) metadata.enableAutomaticUpdate = Boolean(input.enableAutomaticUpdate);

    const container: AppPatch = {};
    if ('location' in input || 'domain' in input) {
      container.location = 'location' in input ? checkLocation(input.location) : app.location;
      container.domain = 'domain' in input ? checkDomain(input.domain) : app.domain;
      container.fqdn = fqdnOf(container.location, container.domain);
    }
    // The names an app answers to change its DNS records and its reverse proxy site: that takes a task.
    if ('alternateDomains' in input) container.alternateDomains = checkAlternateDomains(input.alternateDomains);
    if (container.fqdn !== undefined || container.alternateDomains !== undefined) {
      const moved = { ...app, ...container } as App;
      await this.deps.dns.check(app.instanceId, app.id, hostsOf(moved), input.overwriteDns ?? false);
    }
    if ('memoryLimit' in input) container.memoryLimit = checkMemoryLimit(input.memoryLimit, app.manifest);
    // Only a raise is held to the quota: lowering must work even for a tenant already over it.
    if (container.memoryLimit !== undefined && container.memoryLimit > app.memoryLimit) {
      await this.checks.checkQuotas(actor.instanceId, { memoryLimit: container.memoryLimit, appId: app.id });
    }
    if ('env' in input) container.env = checkEnv(input.env);
    const portBindings = 'portBindings' in input ? checkPortBindings(input.portBindings, app.manifest, this.deps.reservedPorts) : undefined;
    if (portBindings) await this.checks.checkPortsFree(portBindings.filter((b) => !app.portBindings.some((o) => same(o, b))), app.id);

    const changes = describeChanges(app, { ...metadata, ...container }, portBindings);
    const needsTask = Object.keys(container).length > 0 || portBindings !== undefined;
    if (!needsTask) {
      if (Object.keys(metadata).length) await this.deps.apps.update(app.id, metadata, this.now());
      await this.deps.eventlog.record(actor, 'app.configure', app.id, { changes });
      return { taskId: null };
    }
    await this.enter(app, 'configure', { ...metadata, ...container }, portBindings);
    const taskId = await this.startTaskOrRevert(app, 'configure', { appId: app.id, op: 'configure' }, actor);
    await this.deps.eventlog.record(actor, 'app.configure', app.id, { changes, taskId });
    return { taskId };
  }

  /** Moves the app to another manifest (given, or a catalogue version); the task readies the image before it stops the app. */
  async update(actor: Actor, id: string, input: { manifest?: unknown; appStoreId?: string; version?: string }): Promise<number> {
    const app = await this.find(actor.instanceId, id);
    const target = await this.resolveManifest(actor.instanceId, {
      manifest: input.manifest,
      appStoreId: input.appStoreId ?? (input.manifest ? undefined : (app.appStoreId ?? undefined)),
      version: input.version,
    });
    if (target.manifest.id !== app.manifest.id) {
      throw validationError(`manifest.id is ${target.manifest.id}, but the app is ${app.manifest.id}`, { field: 'manifest.id' });
    }
    if ((target.manifest.memoryLimit ?? 0) > app.memoryLimit) {
      throw validationError(`The new version needs ${target.manifest.memoryLimit} bytes of memory; raise the app's memoryLimit first`, { field: 'memoryLimit' });
    }
    await this.deps.runtime.ping();
    await this.enter(app, 'update', {});
    const args: AppTaskArgs = { appId: app.id, op: 'update', manifest: target.manifest, appStoreId: target.appStoreId };
    const taskId = await this.startTaskOrRevert(app, 'update', args, actor);
    await this.deps.eventlog.record(actor, 'app.update', app.id, { from: app.manifest.version, to: target.manifest.version, taskId });
    return taskId;
  }

  /** Backs the app up (config, manifest, data volume) in an app task, so it queues behind the app's other operations. */
  async backup(actor: Actor, id: string): Promise<number> {
    const app = await this.find(actor.instanceId, id);
    await this.deps.runtime.ping();
    await this.enter(app, 'backup', {});
    const taskId = await this.startTaskOrRevert(app, 'backup', { appId: app.id, op: 'backup' }, actor);
    await this.deps.eventlog.record(actor, 'app.backup', app.id, { fqdn: app.fqdn, taskId });
    return taskId;
  }

  /** Puts one of the app's own backups back: 404 for a backup that is not this app's. */
  async restore(actor: Actor, id: string, backupId: string): Promise<number> {
    const app = await this.find(actor.instanceId, id);
    const backup = await this.deps.backups.get(actor.instanceId, backupId);
    if (!backup || backup.type !== 'app' || backup.identifier !== app.id) throw notFound('No such backup of this app');
    if (backup.state !== 'normal') throw conflict(`Backup ${backupId} is not complete (state ${backup.state})`);
    await this.deps.runtime.ping();
    await this.enter(app, 'restore', {});
    const taskId = await this.startTaskOrRevert(app, 'restore', { appId: app.id, op: 'restore', backupId }, actor);
    await this.deps.eventlog.record(actor, 'app.restore', app.id, { fqdn: app.fqdn, backupId, taskId });
    return taskId;
  }

  /**
   * A new app from one of this app's backups: the backup's manifest (the same version) and data, this app's
   * settings (env, memory, access, label, tags), and the location and ports given. 404 for a backup that is not
   * this app's.
   */
  async clone(actor: Actor, id: string, input: { backupId: string; location: string; domain: string; portBindings?: Record<string, number | null> | null }) {
    const source = await this.find(actor.instanceId, id);
    const backup = await this.deps.backups.get(actor.instanceId, input.backupId);
    if (!backup || backup.type !== 'app' || backup.identifier !== source.id || !backup.manifest) throw notFound('No such backup of this app');
    if (backup.state !== 'normal') throw conflict(`Backup ${backup.id} is not complete (state ${backup.state})`);
    return this.install(
      actor,
      {
        manifest: backup.manifest, location: input.location, domain: input.domain, portBindings: input.portBindings, accessRestriction: source.accessRestriction,
        label: source.label, tags: source.tags, memoryLimit: source.memoryLimit, env: source.env, sso: source.sso, enableBackup: source.enableBackup,
        enableAutomaticUpdate: source.enableAutomaticUpdate,
      },
      { cloneOf: source.id, backupId: backup.id },
    );
  }

  /** Visible to whoever may use the app (the same rule as get). */
  async getIcon(principal: Principal, id: string): Promise<Buffer> {
    const app = await this.get(principal, id);
    const icon = await this.deps.apps.getIcon(app.instanceId, app.id);
    if (!icon) throw notFound('The app has no icon');
    return icon;
  }

  async setIcon(actor: Actor, id: string, raw: string | null): Promise<void> {
    const app = await this.find(actor.instanceId, id);
    await this.deps.apps.setIcon(app.id, checkIcon(raw), this.now());
    await this.deps.eventlog.record(actor, 'app.configure', app.id, { changes: { icon: raw ? 'set' : 'removed' } });
  }

  /** The container's log lines (stdout and stderr, oldest first); `follow` keeps going until the signal aborts. */
  async logs(instanceId: string, id: string, options: { lines?: number; follow?: boolean; signal?: AbortSignal }): Promise<AsyncIterable<LogLine>> {
    const app = await this.find(instanceId, id);
    await this.deps.runtime.ping();
    return this.deps.runtime.logs(app.id, { tail: options.lines, follow: options.follow, signal: options.signal });
  }

  /** Runs a command in the app's running container; 409 when the app is not running. */
  async exec(actor: Actor, id: string, options: { cmd: string[]; tty: boolean }): Promise<ExecSession> {
    const app = await this.find(actor.instanceId, id);
    if (app.installationState !== 'installed' || app.runState !== 'running') {
      throw conflict(`The app is not running (installationState ${app.installationState}, runState ${app.runState})`, { installationState: app.installationState });
    }
    const state = await this.deps.runtime.inspect(app.id);
    if (!state?.running) throw conflict('The app container is not running');
    await this.deps.eventlog.record(actor, 'app.exec', app.id, { cmd: options.cmd, tty: options.tty });
    return this.deps.runtime.exec(app.id, options);
  }

  private async find(instanceId: string, id: string): Promise<App> {
    const app = await this.deps.apps.get(instanceId, id);
    if (!app) throw notFound('No such app');
    return app;
  }

  /** Uninstall wins over a running operation: that task is told to stop, and the uninstall queues behind it. */
  private async preempt(app: App): Promise<void> {
    const [running] = await this.deps.taskRepo.unfinishedOn(appObjectKey(app.id));
    if (running && !running.stopRequested) await this.deps.tasks.stop(app.instanceId, running.id).catch(() => undefined);
  }

  /** The atomic state move: only from the states the operation allows, else 409 naming the state found. */
  private async enter(app: App, op: Exclude<AppOperation, 'install'>, patch: AppPatch, portBindings?: PortBinding[]): Promise<void> {
    const allowed = ALLOWED_FROM[op];
    const moved = await this.deps.transactor
      .transaction(async (repos) => {
        const ok = await repos.apps.update(app.id, { ...patch, installationState: PENDING_STATE[op], error: null }, this.now(), allowed);
        if (ok && portBindings) await repos.apps.replacePortBindings(app.id, portBindings);
        return ok;
      })
      .catch((err) => {
        throw explainConflict(err, { ...app, ...patch } as App);
      });
    if (!moved) {
      const current = (await this.deps.apps.get(app.instanceId, app.id)) ?? app;
      throw conflict(`Cannot ${op} the app while it is ${current.installationState}`, { installationState: current.installationState });
    }
  }

  private async startTaskOrRevert(app: App, op: AppOperation, args: AppTaskArgs, actor: Actor): Promise<number> {
    try {
      return await this.startTask(app, args, actor);
    } catch (err) {
      await this.deps.apps.update(app.id, { installationState: app.installationState, error: app.error }, this.now(), [PENDING_STATE[op]]);
      throw err;
    }
  }

  private async startTask(app: App, args: AppTaskArgs, actor: Actor): Promise<number> {
    const task = await this.deps.tasks.create(APP_TASK_TYPE, {
      instanceId: app.instanceId,
      args,
      objectKey: appObjectKey(app.id),
      createdBy: actor.userId ?? undefined,
    });
    await this.deps.apps.update(app.id, { taskId: task.id }, this.now());
    return task.id;
  }

  private async resolveManifest(instanceId: string, input: { manifest?: unknown; appStoreId?: string; version?: string }) {
    if (input.manifest !== undefined && input.appStoreId) throw validationError('Give either manifest or appStoreId, not both', { field: 'manifest' });
    if (input.manifest !== undefined) return { manifest: parseManifest(input.manifest), appStoreId: null };
    if (!input.appStoreId) throw validationError('manifest or appStoreId is required', { field: 'appStoreId' });
    // Cloudron clients send `id@version` to pin a version.
    const [storeId, pinned] = input.appStoreId.split('@');
    const entry = await this.deps.catalogue.get(instanceId, storeId, input.version ?? pinned);
    return { manifest: entry.manifest, appStoreId: storeId };
  }

  private now() {
    return this.deps.clock().toISOString();
  }
}

