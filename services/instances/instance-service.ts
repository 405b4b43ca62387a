import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { notFound } from '../core/errors';
import type { Instance, InstanceRepo } from './instance-repo';

/** How long a Host → instance answer is reused. Tenants change rarely; public routes are hot. */
const HOST_CACHE_MS = 5000;

/** Finds the tenant a request belongs to. Tenant management itself is the admin API's. */
export class InstanceService {
  private readonly byHost = new Map<string, { instance: Instance; until: number }>();

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
    const now = this.deps.clock().getTime();
    const cached = this.byHost.get(name);
    if (cached && cached.until > now) return cached.instance;
    const instance = await this.lookupHost(name);
    if (this.byHost.size > 10_000) this.byHost.clear();
    this.byHost.set(name, { instance, until: now + HOST_CACHE_MS });
    return instance;
  }

  private async lookupHost(name: string): Promise<Instance> {
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
