import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { notFound } from '../core/errors';
import type { Instance, InstanceRepo } from './instance-repo';

/** Finds the tenant a request belongs to. Tenant management itself is the admin API's. */
export class InstanceService {
  constructor(private readonly deps: { instances: InstanceRepo; clock: Clock }) {}

  /** Creates the default instance on first start; safe to call on every start. */
  async ensureDefault(): Promise<Instance> {
    const existing = await this.deps.instances.findDefault();
    if (existing) return existing;
    const instance: Instance = { id: newId('ins'), domain: null, isDefault: true, createdAt: this.deps.clock().toISOString() };
    await this.deps.instances.insert(instance);
    return instance;
  }

  async get(id: string): Promise<Instance> {
    const instance = await this.deps.instances.get(id);
    if (!instance) throw notFound('No such instance');
    return instance;
  }

  /**
   * For public routes: the instance whose domain is the Host (or its parent, for `my.<domain>` dashboards),
   * else the default instance.
   */
  async resolveByHost(host: string | undefined): Promise<Instance> {
    const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (name && !/^[\d.]+$/.test(name) && name !== 'localhost') {
      const parent = name.includes('.') ? name.slice(name.indexOf('.') + 1) : name;
      const match = await this.deps.instances.findByDomains([...new Set([name, parent])]);
      if (match) return match;
    }
    const fallback = await this.deps.instances.findDefault();
    if (!fallback) throw notFound('No default instance');
    return fallback;
  }
}
