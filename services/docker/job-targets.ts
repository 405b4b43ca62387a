import type Docker from 'dockerode';
import { LABELS, type AppRuntime } from '../apps/app-runtime';
import { containerName } from '../apps/container-spec';
import { BerthError, forbidden, notFound, validationError } from '../core/errors';
import type { JobScope } from '../scheduler/job-runtime';
import { parseVolume } from '../scheduler/job-runtime-command';
import { gone } from './docker-errors';
import { engine, jobEngineError, statusOf } from './job-errors';

/**
 * Docker's own rule for object names (and ids): checked before a name goes into an engine URL, so a job cannot
 * name `../images/x` and reach another endpoint.
 */
const ENGINE_NAME = /^\/?[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/**
 * What a job may name in the engine, by scope. A tenant reaches only objects labelled with its instance: its apps'
 * containers (by name, or by app id, which is `berth-app-<id>`), its platform containers, its network and volumes.
 * Something another tenant owns is answered exactly as something missing, so a tenant cannot probe for names.
 * The operator reaches everything.
 */
export class JobTargets {
  constructor(
    private readonly docker: Docker,
    private readonly runtime: Pick<AppRuntime, 'ensureNetwork'>,
  ) {}

  /** The container `ref` names, inspected; 404 NOT_FOUND when it is missing or not the scope's. */
  async container(scope: JobScope, ref: string | undefined, field = 'container'): Promise<Docker.ContainerInspectInfo> {
    if (!ref) throw validationError(`${field} is required for this job`, { field });
    const missing = notFound(`No container named ${ref}`);
    if (!ENGINE_NAME.test(ref)) throw missing;
    const candidates = ref.startsWith('berth-app-') ? [ref] : [ref, containerName(ref.replace(/^\//, ''))];
    for (const name of candidates) {
      const info = await this.inspect(() => this.docker.getContainer(name).inspect(), `Could not look up the container ${ref}`);
      if (info && (scope.operator || info.Config.Labels?.[LABELS.instance] === scope.instanceId)) return info;
    }
    throw missing;
  }

  /**
   * The network a new container joins: for a tenant, its own bridge (`berth-<instanceId>`, made on first use by
   * the app runtime, with its firewall rules) or another network labelled as its; for the operator, the named
   * network or the engine's default. A missing network (or another tenant's) is 400 DOCKER_ERROR.
   * `create` false (a check) never makes the tenant's network.
   */
  async network(scope: JobScope, name: string | undefined, create = true): Promise<string | undefined> {
    if (name === undefined) {
      if (scope.operator) return undefined;
      return create ? engine('Could not make the tenant network', () => this.runtime.ensureNetwork(scope.instanceId)) : undefined;
    }
    const missing = new BerthError('DOCKER_ERROR', 400, `The network ${name} does not exist`, { field: 'network' });
    if (!ENGINE_NAME.test(name)) throw missing;
    const info = await this.inspect(() => this.docker.getNetwork(name).inspect() as Promise<{ Id: string; Labels?: Record<string, string> }>, `Could not look up the network ${name}`);
    if (!info || (!scope.operator && info.Labels?.[LABELS.instance] !== scope.instanceId)) throw missing;
    return info.Id;
  }

  /**
   * `volume` entries as the engine's Binds. A tenant may mount only named volumes that exist and are its own (its
   * apps' data volumes): a host path is 403, anything else 404 as for containers. The operator mounts anything,
   * and a named volume it names that is missing is made by the engine, as `docker run -v` does.
   */
  async binds(scope: JobScope, volumes: readonly string[]): Promise<string[]> {
    const binds: string[] = [];
    for (const [index, entry] of volumes.entries()) {
      const volume = parseVolume(entry, index);
      if (!scope.operator) {
        if (volume.hostPath) throw forbidden(`volume[${index}]: only the operator's jobs may mount host paths (${volume.source})`);
        const missing = notFound(`No volume named ${volume.source}`);
        if (!ENGINE_NAME.test(volume.source)) throw missing;
        const info = await this.inspect(() => this.docker.getVolume(volume.source).inspect(), `Could not look up the volume ${volume.source}`);
        if (info?.Labels?.[LABELS.instance] !== scope.instanceId) throw missing;
      }
      binds.push(volume.bind);
    }
    return binds;
  }

  /** `volumes-from` entries (`container[:ro|rw]`), each container resolved in the scope like `container`. */
  async volumesFrom(scope: JobScope, entries: readonly string[]): Promise<string[]> {
    const resolved: string[] = [];
    for (const [index, entry] of entries.entries()) {
      const [ref, mode, ...rest] = entry.split(':');
      if (rest.length || (mode !== undefined && !['ro', 'rw'].includes(mode))) {
        throw validationError(`volumesFrom[${index}] must be container[:ro|rw]`, { field: `volumesFrom[${index}]` });
      }
      const info = await this.container(scope, ref, `volumesFrom[${index}]`);
      resolved.push(mode ? `${info.Id}:${mode}` : info.Id);
    }
    return resolved;
  }

  /**
   * An inspect answer, or undefined when the engine has no such object. A 400 (an id prefix that fits several
   * objects) counts as missing too: answered otherwise, it would tell a tenant that such ids exist.
   */
  private async inspect<T>(call: () => Promise<T>, doing: string): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      if (gone(err) || statusOf(err) === 400) return undefined;
      throw jobEngineError(err, doing);
    }
  }
}
