import type Docker from 'dockerode';
import { LABELS, type AppRuntime, type ExecSession, type LogLine, type LogOptions } from '../apps/app-runtime';
import { BerthError } from '../core/errors';
import type { EnsureResult, PlatformContainer, PlatformContainers, PlatformState } from '../platform/platform-containers';
import {
  checkRef,
  checkSpec,
  PLATFORM_NAME_LABEL,
  platformContainerName,
  platformLabels,
  platformVolumeName,
  specHash,
  type PlatformRef,
  type PlatformSpec,
} from '../platform/platform-spec';
import { containerLogs, inspectContainer, openExec } from './container-io';
import { dockerError, gone } from './docker-errors';

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

/**
 * Platform containers on a real Docker engine. A container is found by its name (`platformContainerName`), and
 * lists and bulk removal go by labels; images and the tenant network come from the app runtime, so pulls and the
 * network's firewall rules are the apps' own.
 */
export class DockerPlatformContainers implements PlatformContainers {
  constructor(
    private readonly docker: Docker,
    private readonly runtime: Pick<AppRuntime, 'ensureImage' | 'ensureNetwork'>,
  ) {}

  async ensure(spec: PlatformSpec): Promise<EnsureResult> {
    checkSpec(spec);
    const hash = specHash(spec);
    const current = await this.state(spec);
    if (current?.specHash === hash) {
      if (current.running) return { id: current.id, action: 'unchanged' };
      await this.start(current.id);
      return { id: current.id, action: 'started' };
    }
    if (current) await this.removeContainer(current.id);
    const id = await this.create(spec, hash).catch(async (err) => {
      // Another ensure of the same spec created it first (the name is taken): converge on that one.
      if (statusOf(err) !== 409) throw dockerError(err);
      const winner = await this.state(spec);
      if (winner?.specHash !== hash) throw dockerError(err);
      return winner.id;
    });
    await this.start(id);
    return { id, action: current ? 'replaced' : 'created' };
  }

  async remove(ref: PlatformRef) {
    checkRef(ref);
    await this.removeContainer(platformContainerName(ref));
  }

  async removeAll(instanceId: string, module?: string) {
    const filters = { label: [`${LABELS.instance}=${instanceId}`, module ? `${LABELS.platform}=${module}` : LABELS.platform] };
    const containers = await this.docker.listContainers({ all: true, filters }).catch((err) => {
      throw dockerError(err);
    });
    for (const container of containers) await this.removeContainer(container.Id);
    // After the containers: a volume still mounted cannot be removed.
    const { Volumes: volumes } = await this.docker.listVolumes({ filters }).catch((err) => {
      throw dockerError(err);
    });
    for (const volume of volumes ?? []) {
      await this.docker
        .getVolume(volume.Name)
        .remove()
        .catch((err) => {
          if (!gone(err)) throw dockerError(err);
        });
    }
  }

  async list(instanceId?: string): Promise<PlatformContainer[]> {
    const label = [`${LABELS.managed}=1`, LABELS.platform, ...(instanceId ? [`${LABELS.instance}=${instanceId}`] : [])];
    const containers = await this.docker.listContainers({ all: true, filters: { label } }).catch((err) => {
      throw dockerError(err);
    });
    return containers.map((c) => ({
      id: c.Id,
      module: c.Labels[LABELS.platform],
      name: c.Labels[PLATFORM_NAME_LABEL] ?? '',
      instanceId: c.Labels[LABELS.instance] ?? '',
      status: c.State,
      specHash: c.Labels[LABELS.specHash],
    }));
  }

  state(ref: PlatformRef): Promise<PlatformState | undefined> {
    checkRef(ref);
    return inspectContainer(this.docker.getContainer(platformContainerName(ref)));
  }

  async *logs(ref: PlatformRef, options: LogOptions): AsyncIterable<LogLine> {
    const found = await this.state(ref);
    if (found) yield* containerLogs(this.docker.getContainer(found.id), options);
  }

  async exec(ref: PlatformRef, options: { cmd: string[]; tty: boolean }): Promise<ExecSession> {
    const found = await this.state(ref);
    if (!found) throw new BerthError('CONFLICT', 409, `There is no ${ref.module} container ${ref.name}`);
    return openExec(this.docker.getContainer(found.id), options);
  }

  private async create(spec: PlatformSpec, hash: string): Promise<string> {
    await this.runtime.ensureImage(spec.image, () => undefined);
    const network = spec.network === 'tenant' ? await this.runtime.ensureNetwork(spec.instanceId) : 'none';
    const mounts = [];
    for (const volume of spec.volumes ?? []) {
      const name = platformVolumeName(spec, volume.name);
      // Creating a volume that exists is a no-op in the engine.
      await this.docker.createVolume({ Name: name, Labels: platformLabels(spec) }).catch((err) => {
        throw dockerError(err);
      });
      mounts.push({ Type: 'volume' as const, Source: name, Target: volume.path, ReadOnly: Boolean(volume.readOnly) });
    }
    const container = await this.docker.createContainer({
      name: platformContainerName(spec),
      Image: spec.image,
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
      Labels: { ...spec.labels, ...platformLabels(spec), [PLATFORM_NAME_LABEL]: spec.name, [LABELS.specHash]: hash },
      HostConfig: {
        ...(spec.memoryLimit ? { Memory: spec.memoryLimit, MemorySwap: spec.memoryLimit } : {}),
        Init: true,
        RestartPolicy: { Name: spec.restart ?? 'unless-stopped' },
        NetworkMode: network,
        Mounts: mounts,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      },
    });
    return container.id;
  }

  private async start(id: string) {
    await this.docker
      .getContainer(id)
      .start()
      .catch((err) => {
        if (statusOf(err) !== 304) throw dockerError(err);
      });
  }

  private async removeContainer(idOrName: string) {
    await this.docker
      .getContainer(idOrName)
      .remove({ force: true, v: true })
      .catch((err) => {
        // 409: the engine is already removing it.
        if (!gone(err) && statusOf(err) !== 409) throw dockerError(err);
      });
  }
}
