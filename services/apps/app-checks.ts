import type { GroupRepo } from '../groups/group-repo';
import type { InstanceRepo } from '../instances/instance-repo';
import type { UserRepo } from '../users/user-repo';
import { BerthError, conflict, validationError } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import type { App, AppPatch, AppRepo, PortBinding } from './app-repo';
import type { AppRuntime } from './app-runtime';
import { checkAccessRestriction, checkDomain, checkLocation } from './app-input';
import type { HostPorts } from './host-ports';

/**
 * The checks of an app request that need the database or the machine (users and groups named in the access
 * restriction, the operator's quotas, free host ports), and the pure helpers AppService shares with them.
 * Each throws the BerthError the API answers with, before anything is made.
 */
export class AppChecks {
  constructor(private readonly deps: { apps: AppRepo; users: UserRepo; groups: GroupRepo; instances: InstanceRepo; runtime: AppRuntime; hostPorts: HostPorts }) {}

  async checkedAccess(instanceId: string, raw: unknown) {
    const access = checkAccessRestriction(raw);
    if (!access) return null;
    const users = await this.deps.users.existing(instanceId, access.users);
    const groups = await this.deps.groups.existing(instanceId, access.groups);
    const unknown = [...access.users.filter((u) => !users.includes(u)), ...access.groups.filter((g) => !groups.includes(g))];
    if (unknown.length) throw validationError(`accessRestriction: no such user or group ${unknown.join(', ')}`, { field: 'accessRestriction' });
    return access;
  }

  /**
   * The operator's limits on the tenant (apps, total memory, disk used by its apps' volumes): 403
   * QUOTA_EXCEEDED before anything is made. `appId` is an app being reconfigured: it is not a new app, and its
   * own current memory is replaced by `memoryLimit`. Checked, not locked: two installs racing for the last slot
   * may both pass (fsck reports it); disk is measured, so an app may grow past it until the next install is refused.
   */
  async checkQuotas(instanceId: string, asked: { memoryLimit: number; appId?: string }): Promise<void> {
    const quotas = (await this.deps.instances.get(instanceId))?.quotas ?? {};
    if (quotas.apps === undefined && quotas.memory === undefined && quotas.disk === undefined) return;
    const adding = asked.appId === undefined;
    const apps = (await this.deps.apps.list(instanceId)).filter((a) => a.id !== asked.appId);
    if (adding && quotas.apps !== undefined && apps.length + 1 > quotas.apps) {
      throw new BerthError('QUOTA_EXCEEDED', 403, `This instance may have at most ${quotas.apps} apps`, { quota: 'apps', limit: quotas.apps });
    }
    const used = apps.reduce((sum, a) => sum + a.memoryLimit, 0);
    if (quotas.memory !== undefined && used + asked.memoryLimit > quotas.memory) {
      throw new BerthError('QUOTA_EXCEEDED', 403, `The apps of this instance may use at most ${quotas.memory} bytes of memory (${used} in use, ${asked.memoryLimit} asked)`, {
        quota: 'memory',
        limit: quotas.memory,
      });
    }
    if (adding && quotas.disk !== undefined) {
      const disk = await this.deps.runtime.volumesSize(instanceId);
      if (disk >= quotas.disk) {
        throw new BerthError('QUOTA_EXCEEDED', 403, `The apps of this instance may use at most ${quotas.disk} bytes of disk (${disk} in use)`, {
          quota: 'disk',
          limit: quotas.disk,
        });
      }
    }
  }

  /** 409 before any task starts: a port another app holds, or one something else on the machine listens on. */
  async checkPortsFree(bindings: PortBinding[], appId: string): Promise<void> {
    const taken = await this.deps.apps.takenPorts(bindings, appId);
    if (taken.length) throw portConflict(taken[0], 'by another app');
    for (const binding of bindings) {
      if (!(await this.deps.hostPorts.isFree(binding.hostPort, binding.protocol))) throw portConflict(binding, 'on this machine');
    }
  }
}

export function explainConflict(err: unknown, app: App): unknown {
  if (!isUniqueViolation(err)) return err;
  // The constraint's table tells which one: the port bindings' primary key, or the apps' unique fqdn.
  const message = String((err as Error).message);
  if (/app_port_bindings/.test(message)) return conflict('A host port is already in use by another app', { field: 'portBindings' });
  return conflict(`The location ${app.fqdn} is already used by another app`, { field: 'location' });
}

export function checkAlternateDomains(raw: Array<{ domain: string; subdomain: string }> | undefined): App['alternateDomains'] {
  return (raw ?? []).map((alt, i) => ({
    domain: checkDomain(alt.domain),
    subdomain: (() => {
      try {
        return checkLocation(alt.subdomain);
      } catch {
        throw validationError(`alternateDomains[${i}].subdomain must be a host name label or empty`, { field: `alternateDomains.${i}.subdomain` });
      }
    })(),
  }));
}

export function canUse(app: App, userId: string, groups: string[]): boolean {
  const access = app.accessRestriction;
  return !access || access.users.includes(userId) || access.groups.some((g) => groups.includes(g));
}

export const same = (a: PortBinding, b: PortBinding) => a.hostPort === b.hostPort && a.protocol === b.protocol;

function portConflict(binding: PortBinding, where: string): BerthError {
  return conflict(`Port ${binding.hostPort}/${binding.protocol} (${binding.envName}) is already in use ${where}`, { field: `portBindings.${binding.envName}` });
}

export function describeChanges(app: App, patch: AppPatch, portBindings?: PortBinding[]) {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const [key, after] of Object.entries(patch)) {
    const before: unknown = app[key as keyof AppPatch];
    if (JSON.stringify(before) !== JSON.stringify(after)) changes[key] = { before, after };
  }
  if (portBindings) changes.portBindings = { before: app.portBindings, after: portBindings };
  return changes;
}
