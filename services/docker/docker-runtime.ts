import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import {
  LABELS,
  type AppRuntime,
  type ContainerSpec,
  type ContainerState,
  type ExecSession,
  type LogLine,
  type LogOptions,
  type ManagedContainer,
} from '../apps/app-runtime';
import { BerthError } from '../core/errors';
import { dockerError, gone } from './docker-errors';
import { DockerNetworks } from './docker-networks';
import { hostFolderOf, hostReadsApply, tarFolder } from './host-volume-tar';
import { containerLogs, inspectContainer, openExec } from './container-io';
import type { NetworkFirewall } from './network-firewall';

export interface DockerRuntimeOptions {
  /**
   * The engine is reached through a local socket, so its volume folders may be on this machine: archives of a
   * whole volume are then read from the host when the folder proves to be the engine's (host-volume-tar.ts).
   */
  hostReads?: boolean;
  /** Host firewall rules that keep tenant networks apart even while the engine rewrites its own (network-firewall.ts). */
  firewall?: NetworkFirewall;
}

/** The app runtime on a real Docker engine, through dockerode. */
export class DockerRuntime implements AppRuntime {
  /** Whether host reads can work here at all; asked of the engine and the machine once. */
  private hostReadsProbe?: Promise<boolean>;

  private readonly networks: DockerNetworks;

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerRuntimeOptions = {},
  ) {
    this.networks = new DockerNetworks(docker, options.firewall);
  }

  private hostReadsApply(): Promise<boolean> {
    if (!this.options.hostReads) return Promise.resolve(false);
    return (this.hostReadsProbe ??= hostReadsApply(this.docker));
  }

  async ping() {
    await this.docker.ping().catch((err) => {
      throw dockerError(err);
    });
  }

  async ensureImage(image: string, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal) {
    if (await this.hasImage(image)) return;
    let pullError: string;
    try {
      await this.pull(image, onProgress, signal);
      return;
    } catch (err) {
      pullError = (err as Error).message;
    }
    throw new Error(`Image ${image} is not on the Docker engine and could not be pulled (${pullError.trim()})`);
  }

  ensureNetwork(instanceId: string) {
    return this.networks.ensure(instanceId);
  }

  isolateNetworks() {
    return this.networks.isolateAll();
  }

  removeNetwork(instanceId: string) {
    return this.networks.remove(instanceId);
  }

  async archive(appId: string, path: string) {
    const [found] = await this.containersOf(appId);
    if (!found) return undefined;
    const container = this.docker.getContainer(found.Id);
    const folder = (await this.hostReadsApply()) ? await hostFolderOf(container, path) : undefined;
    if (folder) return tarFolder(folder, posix.basename(path));
    return container
      .getArchive({ path })
      .catch((err) => {
        if (gone(err)) return undefined;
        throw dockerError(err);
      });
  }

  async fillVolume(options: { volume: string; image: string; mountPath: string; extractTo: string; labels: Record<string, string> }, tar: NodeJS.ReadableStream) {
    const helper = await this.docker
      .createContainer({
        Image: options.image,
        // Not labelled as managed: the reconciler must not take it for an app's container.
        Labels: options.labels,
        NetworkDisabled: true,
        HostConfig: { Mounts: [{ Type: 'volume', Source: options.volume, Target: options.mountPath }] },
      })
      .catch((err) => {
        throw dockerError(err);
      });
    try {
      await helper.putArchive(tar, { path: options.extractTo });
    } finally {
      await helper.remove({ force: true }).catch(() => undefined);
    }
  }

  async readVolume(options: { volume: string; image: string; mountPath: string; path: string; labels: Record<string, string> }, sink: NodeJS.WritableStream) {
    const helper = await this.docker
      .createContainer({
        Image: options.image,
        Labels: options.labels,
        NetworkDisabled: true,
        HostConfig: { Mounts: [{ Type: 'volume', Source: options.volume, Target: options.mountPath, ReadOnly: true }] },
      })
      .catch((err) => {
        throw dockerError(err);
      });
    try {
      const tar = await helper.getArchive({ path: options.path }).catch((err) => {
        throw dockerError(err);
      });
      await pipeline(tar, sink);
    } finally {
      await helper.remove({ force: true }).catch(() => undefined);
    }
  }

  async ensureVolume(name: string, labels: Record<string, string>) {
    await this.docker.createVolume({ Name: name, Labels: { [LABELS.managed]: '1', ...labels } }).catch((err) => {
      throw dockerError(err);
    });
  }

  async volumesSize(instanceId: string) {
    // The engine's own accounting (`docker system df`): no access to its volume folders needed.
    const usage = (await this.docker.df().catch((err) => {
      throw dockerError(err);
    })) as { Volumes?: Array<{ Labels?: Record<string, string> | null; UsageData?: { Size?: number } | null }> | null };
    return (usage.Volumes ?? [])
      .filter((volume) => volume.Labels?.[LABELS.instance] === instanceId)
      .reduce((sum, volume) => sum + Math.max(volume.UsageData?.Size ?? 0, 0), 0);
  }

  async removeVolume(name: string) {
    await this.docker
      .getVolume(name)
      .remove()
      .catch((err) => {
        if (!gone(err)) throw dockerError(err);
      });
  }

  async inspect(appId: string): Promise<ContainerState | undefined> {
    const [found] = await this.containersOf(appId);
    return found ? this.inspectById(found.Id) : undefined;
  }

  inspectById(containerId: string): Promise<ContainerState | undefined> {
    return inspectContainer(this.docker.getContainer(containerId));
  }

  async create(spec: ContainerSpec) {
    const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {
      [`${spec.http.containerPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(spec.http.hostPort) }],
    };
    for (const port of spec.ports) {
      portBindings[`${port.containerPort}/${port.protocol}`] = [{ HostIp: '0.0.0.0', HostPort: String(port.hostPort) }];
    }
    const container = await this.docker
      .createContainer({
        name: spec.name,
        Image: spec.image,
        Env: spec.env,
        Labels: spec.labels,
        ExposedPorts: Object.fromEntries(Object.keys(portBindings).map((key) => [key, {}])),
        HostConfig: {
          Memory: spec.memoryLimit,
          MemorySwap: spec.memoryLimit,
          Init: true,
          RestartPolicy: { Name: 'no' },
          NetworkMode: spec.networkId,
          PortBindings: portBindings,
          Mounts: spec.volume ? [{ Type: 'volume', Source: spec.volume.name, Target: spec.volume.mountPath }] : [],
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
        },
      })
      .catch((err) => {
        throw dockerError(err);
      });
    return container.id;
  }

  async start(containerId: string) {
    await this.docker
      .getContainer(containerId)
      .start()
      .catch((err) => {
        if ((err as { statusCode?: number }).statusCode !== 304) throw describeEngineError(err);
      });
  }

  async stop(containerId: string) {
    await this.docker
      .getContainer(containerId)
      .stop({ t: 10 })
      .catch((err) => {
        if (!gone(err)) throw dockerError(err);
      });
  }

  async restart(containerId: string) {
    await this.docker
      .getContainer(containerId)
      .restart({ t: 10 })
      .catch((err) => {
        throw describeEngineError(err);
      });
  }

  async setRestartPolicy(containerId: string, policy: 'no' | 'unless-stopped') {
    await this.docker
      .getContainer(containerId)
      .update({ RestartPolicy: { Name: policy, MaximumRetryCount: 0 } })
      .catch((err) => {
        throw dockerError(err);
      });
  }

  async removeContainers(appId: string) {
    for (const container of await this.containersOf(appId)) await this.removeContainer(container.Id);
  }

  async removeContainer(containerId: string) {
    await this.docker
      .getContainer(containerId)
      .remove({ force: true, v: true })
      .catch((err) => {
        if (!gone(err) && (err as { statusCode?: number }).statusCode !== 409) throw dockerError(err);
      });
  }

  async *logs(appId: string, options: LogOptions): AsyncIterable<LogLine> {
    const [found] = await this.containersOf(appId);
    if (!found) return;
    yield* containerLogs(this.docker.getContainer(found.Id), options);
  }

  async exec(appId: string, options: { cmd: string[]; tty: boolean }): Promise<ExecSession> {
    const [found] = await this.containersOf(appId);
    if (!found) throw new BerthError('CONFLICT', 409, 'The app has no container');
    return openExec(this.docker.getContainer(found.Id), options);
  }

  async listManaged(): Promise<ManagedContainer[]> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=1`] } }).catch((err) => {
      throw dockerError(err);
    });
    return containers.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      appId: c.Labels[LABELS.app] ?? '',
      instanceId: c.Labels[LABELS.instance] ?? '',
      status: c.State,
      ...(c.Labels[LABELS.platform] ? { platform: c.Labels[LABELS.platform] } : {}),
    }));
  }

  private async containersOf(appId: string) {
    return this.docker.listContainers({ all: true, filters: { label: [`${LABELS.app}=${appId}`] } }).catch((err) => {
      throw dockerError(err);
    });
  }

  private async hasImage(image: string) {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (gone(err)) return false;
      throw dockerError(err);
    }
  }

  private async pull(image: string, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal) {
    const stream = await this.docker.pull(image);
    const layers = new Map<string, { current: number; total: number }>();
    await new Promise<void>((resolve, reject) => {
      const abort = () => reject(new Error('pull aborted'));
      signal?.addEventListener('abort', abort, { once: true });
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (event: { id?: string; status?: string; progressDetail?: { current?: number; total?: number }; error?: string }) => {
          if (event.error) return reject(new Error(event.error));
          if (event.id && event.progressDetail?.total) layers.set(event.id, { current: event.progressDetail.current ?? 0, total: event.progressDetail.total });
          const total = [...layers.values()].reduce((sum, l) => sum + l.total, 0);
          const current = [...layers.values()].reduce((sum, l) => sum + Math.min(l.current, l.total), 0);
          onProgress(total ? current / total : 0, `Downloading image ${image}: ${layers.size} layers, ${Math.round(current / 1e6)} of ${Math.round(total / 1e6)} MB`);
        },
      );
    });
  }
}

/** Start and restart fail for reasons the user can act on (a port taken outside Berth): keep the engine's words. */
function describeEngineError(err: unknown): unknown {
  const mapped = dockerError(err);
  if (mapped !== err) return mapped;
  const json = (err as { json?: { message?: string } }).json;
  return new Error(`The Docker engine refused: ${json?.message ?? (err as Error).message}`);
}
