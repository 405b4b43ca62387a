import { LocalHostPorts } from '../../services/apps/host-ports';
import { DockerPlatformContainers } from '../../services/docker/docker-platform-containers';
import { DockerRuntime } from '../../services/docker/docker-runtime';
import { IptablesIsolation } from '../../services/docker/network-firewall';
import type { Core } from './core';

export type Platform = ReturnType<typeof composePlatform>;

/** The Docker engine behind apps' `AppRuntime` and modules' `PlatformContainers`, and the machine's ports. */
export function composePlatform({ config, docker, logger }: Core) {
  // A local socket means the engine is on this machine: its volume folders and bridges may be ours to use.
  const engineIsLocal = !config.dockerHost || config.dockerHost.startsWith('unix:');
  const runtime = new DockerRuntime(docker, { hostReads: engineIsLocal, firewall: engineIsLocal ? new IptablesIsolation({ logger }) : undefined });
  return { runtime, platform: new DockerPlatformContainers(docker, runtime), hostPorts: new LocalHostPorts() };
}
