import { createHash } from 'node:crypto';
import type { App } from './app-repo';
import { LABELS, type ContainerSpec } from './app-runtime';

export const containerName = (appId: string) => `berth-app-${appId}`;
export const volumeName = (appId: string) => `berth-app-${appId}-data`;
const DATA_DIR = '/app/data';

/**
 * The environment an app sees, lowest priority first: the manifest's defaults, the user's env, then what Berth
 * sets (origin, domain, bound ports). CLOUDRON_* twins let Cloudron-packaged images run unchanged.
 */
export function appEnv(app: App): string[] {
  const origin = `https://${app.fqdn}`;
  const platform: Record<string, string> = {
    BERTH: '1',
    CLOUDRON: '1',
    APP_ID: app.id,
    APP_ORIGIN: origin,
    APP_DOMAIN: app.fqdn,
    CLOUDRON_APP_ORIGIN: origin,
    CLOUDRON_APP_DOMAIN: app.fqdn,
  };
  for (const binding of app.portBindings) platform[binding.envName] = String(binding.hostPort);
  const env = { ...(app.manifest.env ?? {}), ...app.env, ...platform };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** Everything the engine needs to run the app. Its hash goes on the container, so a changed spec means a new one. */
export function containerSpec(app: App, networkId: string): ContainerSpec {
  if (app.httpPort === null) throw new Error('the app has no HTTP port reserved yet');
  const ports = app.portBindings.map((b) => {
    const declared = (b.protocol === 'tcp' ? app.manifest.tcpPorts : app.manifest.udpPorts)?.[b.envName];
    return { containerPort: declared?.containerPort ?? b.hostPort, hostPort: b.hostPort, protocol: b.protocol };
  });
  const spec: ContainerSpec = {
    name: containerName(app.id),
    image: app.manifest.dockerImage,
    env: appEnv(app),
    labels: { [LABELS.managed]: '1', [LABELS.instance]: app.instanceId, [LABELS.app]: app.id, [LABELS.fqdn]: app.fqdn },
    memoryLimit: app.memoryLimit,
    networkId,
    http: { containerPort: app.manifest.httpPort, hostPort: app.httpPort },
    ports,
    volume: app.manifest.addons?.localstorage ? { name: volumeName(app.id), mountPath: DATA_DIR } : null,
  };
  spec.labels[LABELS.specHash] = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 32);
  return spec;
}
