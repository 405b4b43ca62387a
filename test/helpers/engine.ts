import Docker from 'dockerode';

/** The engine the tests use (DOCKER_HOST, as .ci/run sets it). */
export function testDocker(): Docker {
  const url = new URL(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
  return new Docker({ socketPath: url.pathname });
}

/** Removes every container, volume and network labelled for these tenants. */
export async function removeTenantObjects(instanceIds: string[]): Promise<void> {
  if (!process.env.DOCKER_HOST || !instanceIds.length) return;
  const docker = testDocker();
  for (const id of instanceIds) {
    const label = { label: [`io.berth.instance=${id}`] };
    const containers = await docker.listContainers({ all: true, filters: label }).catch(() => []);
    for (const c of containers) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters: label }).catch(() => ({ Volumes: [] }))).Volumes ?? []) {
      await docker.getVolume(v.Name).remove().catch(() => undefined);
    }
    for (const n of await docker.listNetworks({ filters: label }).catch(() => [])) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}
