import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { BerthError, notFound, unauthorized } from '../core/errors';
import type { Instance, InstanceRepo, StoredInstance } from './instance-repo';

/** How long a Host → instance answer is reused. Tenants change rarely; public routes are hot. */
const HOST_CACHE_MS = 5000;

/** Finds the tenant a request belongs to. Tenant management itself is the admin API's. */
export class InstanceService {
  private readonly byHost = new Map<string, { instance: StoredInstance; until: number }>();
  private readonly byId = new Map<string, { instance: StoredInstance; until: number }>();

  constructor(private readonly deps: { instances: InstanceRepo; clock: Clock }) {}

  /** Creates the default instance on first start; safe to call on every start. */
  async ensureDefault(): Promise<Instance> {
    const existing = await this.deps.instances.findDefault();
    if (existing) return existing;
    const instance: Instance = { id: newId('ins'), domain: null, isDefault: true, createdAt: this.deps.clock().toISOString() };
    await this.deps.instances.insert(instance);
    return instance;
  }

  async get(id: string): Promise<StoredInstance> {
    const instance = await this.deps.instances.get(id);
    if (!instance) throw notFound('No such instance');
    return instance;
  }

  /**
   * For public routes: the instance whose domain is the Host (or its parent, for `my.<domain>` dashboards),
   * else the default instance.
   */
  async resolveByHost(host: string | undefined): Promise<StoredInstance> {
    const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
    const now = this.deps.clock().getTime();
    const cached = this.byHost.get(name);
    if (cached && cached.until > now) return cached.instance;
    const instance = await this.lookupHost(name);
    if (this.byHost.size > 10_000) this.byHost.clear();
    this.byHost.set(name, { instance, until: now + HOST_CACHE_MS });
    return instance;
  }

  /**
   * Throws unless the tenant serves requests: a deleting one answers 401 (it is going away), a blocked one
   * 402 (payment) or 503 with its reason. Reads through a 5 s cache: every authenticated request asks.
   */
  async assertOpen(instanceId: string): Promise<void> {
    const now = this.deps.clock().getTime();
    let cached = this.byId.get(instanceId);
    if (!cached || cached.until <= now) {
      const instance = await this.deps.instances.get(instanceId);
      if (!instance) throw notFound('No such instance');
      if (this.byId.size > 10_000) this.byId.clear();
      cached = { instance, until: now + HOST_CACHE_MS };
      this.byId.set(instanceId, cached);
    }
    assertServing(cached.instance);
  }

  /**
   * Drops what the caches hold about a tenant (after the admin API created or changed it). Every Host answer
   * goes: a host that resolved to the default instance may now belong to the new tenant.
   */
  forget(instanceId: string): void {
    this.byId.delete(instanceId);
    this.byHost.clear();
  }

  private async lookupHost(name: string): Promise<StoredInstance> {
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

function assertServing(instance: StoredInstance): void {
  // Its tokens are about to be revoked: they already stop working.
  if (instance.deleting) throw unauthorized('This instance is being deleted');
  if (instance.blocked) {
    const reason = instance.blockingReason ?? 'UNKNOWN';
    const status = reason === 'PAYMENT_FAILED' ? 402 : 503;
    throw new BerthError('INSTANCE_BLOCKED', status, `This instance is blocked (${reason})`, { reason });
  }
}
