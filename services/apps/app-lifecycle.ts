import type { Clock } from '../core/clock';
import { isUniqueViolation } from '../db/database';
import type { AppTaskArgs } from './app-tasks';
import type { TaskContext } from '../tasks/task-handler';
import type { App, AppRepo, PortBinding } from './app-repo';
import type { AppRuntime } from './app-runtime';
import { PENDING_STATE, type AppOperation } from './app-states';
import { containerSpec, volumeName } from './container-spec';
import { probeHttp, type HostPorts } from './host-ports';
import { parseManifest, type Manifest } from './manifest';
import { exitReason } from './exit-reason';
import type { AppPublisher } from './app-publisher';
import type { AppDnsStep } from './app-dns-step';
import type { AppBackups } from './app-backups';


export interface LifecycleDeps {
  apps: AppRepo;
  runtime: AppRuntime;
  hostPorts: HostPorts;
  publisher: AppPublisher;
  dns: AppDnsStep;
  clock: Clock;
  /** How long a started app gets to pass its health check. */
  startTimeoutMs: number;
  backups: AppBackups;
}

/**
 * A failure that left the app as it was (a backup that could not be written, a restore whose backup failed its
 * checks): the app goes back to `installed` instead of `error`, and the task fails with the reason.
 */
class AppUntouched extends Error {}

/**
 * What an app task does, step by step, each step reporting progress. Every step converges (create if missing,
 * replace if different, remove if present), so a task re-run after a crash picks up where the engine is, as
 * Cloudron's apptask does. The app row is moved out of its pending state only by the task that put it there.
 */
export class AppLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  async run(args: AppTaskArgs, ctx: TaskContext): Promise<unknown> {
    const app = await this.deps.apps.getAny(args.appId);
    if (!app) return { appId: args.appId, removed: true };
    try {
      switch (args.op) {
        case 'uninstall':
          return await this.uninstall(app, ctx);
        case 'stop':
          return await this.stop(app, ctx);
        case 'restart':
          return await this.restart(app, ctx);
        case 'update':
          return await this.update(app, args, ctx);
        case 'backup':
          return await this.backup(app, ctx);
        case 'restore':
          return await this.restore(app, args, ctx);
        default:
          // install, configure, start and recreate all mean: make the engine match the row.
          return await this.converge(app, args.op, ctx, args);
      }
    } catch (err) {
      if (err instanceof AppUntouched) {
        await this.deps.apps.update(app.id, { installationState: 'installed', taskId: null }, this.now(), [PENDING_STATE[args.op]]).catch(() => undefined);
        throw err;
      }
      await this.fail(app, args.op, ctx, err as Error);
      throw err;
    }
  }

  /** Stops the app while its data is copied (AppBackups), starts it again and waits until it answers. */
  private async backup(app: App, ctx: TaskContext) {
    step(ctx, 10, 'Backing up');
    let backup;
    try {
      backup = await this.deps.backups.backupApp(app, ctx);
    } catch (err) {
      throw new AppUntouched(`The backup failed: ${(err as Error).message}`, { cause: err });
    }
    const state = await this.deps.runtime.inspect(app.id);
    if (app.runState === 'running' && state) await this.waitHealthy(app, state.id, ctx);
    await this.finish(app, 'backup', ctx);
    return { appId: app.id, backupId: backup.id };
  }

  /**
   * Checks the whole backup first (checksums, password, every byte decrypted and unpacked into nothing), so a
   * bad backup fails with the app untouched. Then: a new, empty data volume filled from the backup, and the
   * manifest, env, memory limit, label and tags from the backup; location and ports stay as they are now.
   */
  private async restore(app: App, args: AppTaskArgs, ctx: TaskContext) {
    step(ctx, 10, `Checking backup ${args.backupId}`);
    let plan;
    try {
      plan = await this.deps.backups.prepareRestore(app, String(args.backupId));
    } catch (err) {
      throw new AppUntouched(`The restore failed, the app is unchanged: ${(err as Error).message}`, { cause: err });
    }
    const { snapshot } = plan;
    step(ctx, 30, 'Removing the current container');
    await this.deps.runtime.removeContainers(app.id);
    if (app.manifest.addons?.localstorage || snapshot.manifest.addons?.localstorage) {
      step(ctx, 40, 'Restoring the data volume');
      await this.deps.runtime.removeVolume(volumeName(app.id));
      await this.deps.runtime.ensureVolume(volumeName(app.id), { 'io.berth.app': app.id, 'io.berth.instance': app.instanceId });
      await this.deps.backups.restoreData(app, plan, volumeName(app.id));
    }
    const patch = { manifest: snapshot.manifest, appStoreId: snapshot.appStoreId, env: snapshot.env, memoryLimit: snapshot.memoryLimit, label: snapshot.label, tags: snapshot.tags };
    await this.write(app, patch);
    ctx.log(`restored backup ${plan.backup.id} (version ${snapshot.manifest.version})`);
    await this.deploy({ ...app, ...patch }, ctx, 50, 'restore');
    return this.finish(app, 'restore', ctx);
  }

  private async converge(app: App, op: AppOperation, ctx: TaskContext, args?: AppTaskArgs) {
    step(ctx, 5, 'Validating manifest');
    parseManifest(app.manifest);
    if (op === 'start') await this.write(app, { runState: 'running' });
    const fill = op === 'install' && args?.backupId ? await this.cloneData(app, args, ctx) : undefined;
    await this.deploy(app, ctx, 20, op, fill);
    return this.finish(app, op, ctx);
  }

  /**
   * A clone installs with the data of another app's backup: the whole backup is checked first, and the new
   * app's volume is emptied and filled before its container is made (a re-run after a crash fills it anew).
   */
  private async cloneData(app: App, args: AppTaskArgs, ctx: TaskContext) {
    step(ctx, 8, `Checking backup ${args.backupId}`);
    const plan = await this.deps.backups.prepareRestore(app, String(args.backupId), args.cloneOf);
    return async () => {
      step(ctx, 57, `Copying the data of backup ${plan.backup.id}`);
      await this.deps.runtime.removeContainers(app.id);
      await this.deps.runtime.removeVolume(volumeName(app.id));
      await this.deps.runtime.ensureVolume(volumeName(app.id), { 'io.berth.app': app.id, 'io.berth.instance': app.instanceId });
      await this.deps.backups.restoreData(app, plan, volumeName(app.id));
    };
  }

  private async update(app: App, args: AppTaskArgs, ctx: TaskContext) {
    const manifest = parseManifest(args.manifest);
    // The new image is made ready while the old version still serves.
    await this.ensureImage(manifest.dockerImage, ctx, 10, 50);
    const portBindings = keepDeclared(app.portBindings, manifest);
    await this.deps.apps.replacePortBindings(app.id, portBindings);
    await this.write(app, { manifest, appStoreId: args.appStoreId ?? app.appStoreId });
    ctx.log(`manifest is now ${manifest.id} ${manifest.version} (${manifest.dockerImage})`);
    await this.deploy({ ...app, manifest, portBindings }, ctx, 50, 'update');
    return this.finish(app, 'update', ctx);
  }

  /**
   * A local image is used as it is; a missing one is pulled with per-layer progress mapped onto [from, to]
   * percent. The last progress line goes to the task log too, so the log says what was downloaded.
   */
  private async ensureImage(image: string, ctx: TaskContext, from: number, to: number) {
    step(ctx, from, `Downloading image ${image}`);
    let last: string | undefined;
    await this.deps.runtime.ensureImage(image, (fraction, message) => {
      last = message;
      ctx.progress(from + Math.round(fraction * (to - from)), message);
    }, ctx.signal);
    if (last) ctx.log(last);
  }

  /** Ports, network, image, volume, container; then, when the app should run, start it and wait until healthy. */
  private async deploy(app: App, ctx: TaskContext, imageFrom: number, op: AppOperation, fillVolume?: () => Promise<void>) {
    const { runtime } = this.deps;
    step(ctx, 10, 'Reserving ports');
    const ready = { ...app, httpPort: await this.ensureHttpPort(app) };
    step(ctx, 12, 'Registering DNS records');
    if (op === 'install' || op === 'configure') {
      await this.deps.dns.sync(ready);
    } else {
      // The names did not change: a DNS server that is down must not keep a crashed app from coming back.
      await this.deps.dns.sync(ready).catch((err: Error) => ctx.log(`DNS records not refreshed (${err.message}); continuing`));
    }
    step(ctx, 15, 'Creating network');
    const networkId = await runtime.ensureNetwork(app.instanceId);
    await this.ensureImage(app.manifest.dockerImage, ctx, imageFrom, 55);
    if (app.manifest.addons?.localstorage) {
      step(ctx, 55, 'Creating data volume');
      await runtime.ensureVolume(volumeName(app.id), { 'io.berth.app': app.id, 'io.berth.instance': app.instanceId });
      await fillVolume?.();
      await this.unlessStopped(app, ctx);
    }
    step(ctx, 60, 'Creating container');
    const { id: containerId, created } = await this.ensureContainer(ready, networkId, ctx);
    await this.unlessStopped(app, ctx);
    const current = await this.deps.apps.getAny(app.id);
    if (current?.runState === 'running') {
      step(ctx, 70, 'Starting app');
      // A new container starts with policy `no` already; a kept one may have `unless-stopped` from before.
      if (!created) await runtime.setRestartPolicy(containerId, 'no');
      await runtime.start(containerId);
      await this.unlessStopped(app, ctx);
      await this.waitHealthy(ready, containerId, ctx);
    } else {
      ctx.log('the app is stopped: not starting it');
    }
    step(ctx, 90, 'Configuring reverse proxy');
    await this.deps.publisher.publish(ready, (line) => ctx.log(line));
  }

  /**
   * A stopped task ends at once, but its handler may still be inside an engine call. When it comes back it
   * must not leave behind what it made: if an uninstall took over (the row is gone or being uninstalled), what
   * this run created is removed again, since that uninstall may already have swept.
   */
  private async unlessStopped(app: App, ctx: TaskContext): Promise<void> {
    if (!ctx.signal.aborted) return;
    const current = await this.deps.apps.getAny(app.id);
    if (!current || current.installationState === 'pending_uninstall') {
      await this.deps.runtime.removeContainers(app.id);
      await this.deps.runtime.removeVolume(volumeName(app.id));
    }
    throw new Error('Stopped');
  }

  private async stop(app: App, ctx: TaskContext) {
    step(ctx, 30, 'Stopping app');
    const state = await this.deps.runtime.inspect(app.id);
    if (state) await this.deps.runtime.stop(state.id);
    await this.write(app, { runState: 'stopped', health: null, healthTime: null });
    return this.finish(app, 'stop', ctx);
  }

  private async restart(app: App, ctx: TaskContext) {
    const state = await this.deps.runtime.inspect(app.id);
    if (!state) return this.converge(app, 'restart', ctx);
    step(ctx, 30, 'Restarting app');
    await this.deps.runtime.setRestartPolicy(state.id, 'no');
    await this.deps.runtime.restart(state.id);
    await this.write(app, { runState: 'running' });
    await this.waitHealthy(app, state.id, ctx);
    return this.finish(app, 'restart', ctx);
  }

  private async uninstall(app: App, ctx: TaskContext) {
    step(ctx, 20, 'Removing reverse proxy configuration');
    await this.deps.publisher.unpublish(app);
    step(ctx, 30, 'Removing DNS records');
    await this.deps.dns.remove(app);
    step(ctx, 40, 'Removing container and data volume');
    await this.removeContainersAndVolume(app.id);
    step(ctx, 90, 'Removing app');
    // Port bindings go with the row (ON DELETE CASCADE), which frees them for other apps.
    await this.deps.apps.delete(app.id);
    step(ctx, 100, 'Uninstalled');
    return { appId: app.id, removed: true };
  }

  /**
   * An uninstall that pre-empted an install can run while the stopped install's handler is still inside an
   * engine call: it may create the container after this removed the containers, and then the volume is in use.
   * Removing both again converges (the stopped handler removes what it made when it returns, too).
   */
  private async removeContainersAndVolume(appId: string) {
    for (let attempt = 1; ; attempt++) {
      await this.deps.runtime.removeContainers(appId);
      try {
        await this.deps.runtime.removeVolume(volumeName(appId));
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  /** The loopback port the app is published on: kept once chosen; a unique index settles two apps racing for one. */
  private async ensureHttpPort(app: App): Promise<number> {
    if (app.httpPort !== null) return app.httpPort;
    for (let attempt = 0; ; attempt++) {
      const port = await this.deps.hostPorts.freeLoopbackPort();
      try {
        await this.write(app, { httpPort: port });
        return port;
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 5) throw err;
      }
    }
  }

  /** Keeps a container built from the same spec; replaces one built from another (new image, env, limits, ports). */
  private async ensureContainer(app: App, networkId: string, ctx: TaskContext): Promise<{ id: string; created: boolean }> {
    const spec = containerSpec(app, networkId);
    const existing = await this.deps.runtime.inspect(app.id);
    if (existing?.specHash === spec.labels['io.berth.spec-hash']) return { id: existing.id, created: false };
    if (existing) {
      ctx.log(`replacing container ${existing.id.slice(0, 12)}: its configuration changed`);
      await this.deps.runtime.removeContainers(app.id);
    }
    const id = await this.deps.runtime.create(spec);
    ctx.log(`created container ${id.slice(0, 12)} from ${spec.image}`);
    return { id, created: true };
  }

  /**
   * Polls the container and the health check path until the app answers below 400, then lets the engine keep
   * it running. A container that exits fails at once with its exit code and last log lines; the wait is bounded.
   */
  private async waitHealthy(app: App, containerId: string, ctx: TaskContext): Promise<void> {
    step(ctx, 80, `Waiting for the app to answer ${app.manifest.healthCheckPath}`);
    const deadline = this.deps.clock().getTime() + this.deps.startTimeoutMs;
    // Quick probes first (most apps answer within a second), then every half second.
    let interval = 50;
    for (;;) {
      if (ctx.signal.aborted) throw new Error('Stopped while waiting for the app to start');
      const state = await this.deps.runtime.inspectById(containerId);
      if (!state) throw new Error('The app container disappeared while starting');
      if (!state.running || state.restarting) throw new Error(await this.describeExit(app, state));
      const probe = await probeHttp(app.httpPort!, app.manifest.healthCheckPath, app.fqdn, Math.min(5000, this.deps.startTimeoutMs));
      if (probe.healthy) {
        await this.deps.runtime.setRestartPolicy(containerId, 'unless-stopped');
        await this.write(app, { health: 'healthy', healthTime: this.deps.clock().toISOString() });
        ctx.log(`health check passed (${probe.detail})`);
        return;
      }
      if (this.deps.clock().getTime() >= deadline) {
        throw new Error(
          `The app did not pass its health check (GET ${app.manifest.healthCheckPath}: ${probe.detail}) within ${Math.round(this.deps.startTimeoutMs / 1000)} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
      interval = Math.min(interval * 2, 500);
    }
  }

  private async describeExit(app: App, state: { exitCode: number; oomKilled: boolean }): Promise<string> {
    const lines: string[] = [];
    for await (const line of this.deps.runtime.logs(app.id, { tail: 10 })) lines.push(line.message);
    return `The app ${exitReason(state, app.memoryLimit)} while starting.${lines.length ? ` Last log lines:\n${lines.join('\n')}` : ''}`;
  }

  private async finish(app: App, op: AppOperation, ctx: TaskContext) {
    await this.deps.apps.update(app.id, { installationState: 'installed', taskId: null, error: null }, this.now(), [PENDING_STATE[op]]);
    step(ctx, 100, 'Done');
    return { appId: app.id };
  }

  /** Records the failure on the app, unless another operation (an uninstall) has taken it over meanwhile. */
  private async fail(app: App, op: AppOperation, ctx: TaskContext, err: Error) {
    const error = { message: err.message, installationState: PENDING_STATE[op], taskId: ctx.task.id, reason: 'task_failed' };
    await this.deps.apps.update(app.id, { installationState: 'error', error }, this.now(), [PENDING_STATE[op]]).catch(() => undefined);
  }

  private write(app: App, patch: Parameters<AppRepo['update']>[1]) {
    return this.deps.apps.update(app.id, patch, this.now());
  }

  private now() {
    return this.deps.clock().toISOString();
  }
}

/** After an update, bindings for ports the new manifest no longer declares are released. */
function keepDeclared(bindings: PortBinding[], manifest: Manifest): PortBinding[] {
  return bindings.filter((b) => Boolean((b.protocol === 'tcp' ? manifest.tcpPorts : manifest.udpPorts)?.[b.envName]));
}

/** A step: progress for pollers, and a line in the task's log so the log tells the whole story with times. */
function step(ctx: TaskContext, percent: number, message: string): void {
  ctx.progress(percent, message);
  ctx.log(message);
}
