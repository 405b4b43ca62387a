import type Docker from 'dockerode';
import { LABELS } from '../apps/app-runtime';
import { dockerError, gone } from './docker-errors';
import type { NetworkFirewall } from './network-firewall';

/** The Linux bridge of a bridge network: its configured name, else the engine's `br-<12 hex of the id>`. */
export function bridgeOf(network: { Id: string; Options?: Record<string, string> | null }): string {
  return network.Options?.['com.docker.network.bridge.name'] || `br-${network.Id.slice(0, 12)}`;
}

/**
 * Tenants' bridge networks (`berth-<instanceId>`): created on first use, removed with the tenant, and kept apart
 * on the host by the firewall's rules (network-firewall.ts) after every change.
 */
export class DockerNetworks {
  constructor(
    private readonly docker: Docker,
    private readonly firewall?: NetworkFirewall,
  ) {}

  /**
   * The engine does not stop two concurrent creates of one name (CheckDuplicate is racy), so after creating,
   * every caller settles on the oldest network of that name and removes its own if it lost: all racers end up
   * on one network, and only networks nobody is using yet are removed.
   */
  async ensure(instanceId: string) {
    const name = `berth-${instanceId}`.slice(0, 60);
    const canonical = async () => {
      const networks = (await this.docker.listNetworks({ filters: { label: [`${LABELS.instance}=${instanceId}`] } })).filter((n) => n.Name === name);
      return networks.sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id))[0];
    };
    const existing = await canonical().catch((err) => {
      throw dockerError(err);
    });
    if (existing) {
      await this.syncFirewall();
      return existing.Id;
    }
    const created = await this.docker
      .createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABELS.managed]: '1', [LABELS.instance]: instanceId } })
      .catch(() => undefined);
    const winner = await canonical();
    if (!winner) throw new Error(`Could not create the tenant network ${name}`);
    if (created && created.id !== winner.Id) await this.docker.getNetwork(created.id).remove().catch(() => undefined);
    await this.syncFirewall();
    return winner.Id;
  }

  async isolateAll() {
    await this.syncFirewall();
  }

  /** The host firewall's tenant rules brought in line with the engine's bridge networks (network-firewall.ts). */
  private async syncFirewall() {
    if (!this.firewall) return;
    const networks = await this.docker.listNetworks({ filters: { driver: ['bridge'] } }).catch((err) => {
      throw dockerError(err);
    });
    await this.firewall.sync({
      tenants: networks.filter((n) => n.Labels?.[LABELS.managed]).map(bridgeOf),
      bridges: networks.map(bridgeOf),
    });
  }

  async remove(instanceId: string) {
    const networks = await this.docker.listNetworks({ filters: { label: [`${LABELS.instance}=${instanceId}`] } }).catch((err) => {
      throw dockerError(err);
    });
    for (const network of networks) {
      await this.docker
        .getNetwork(network.Id)
        .remove()
        .catch((err) => {
          if (!gone(err)) throw dockerError(err);
        });
    }
    // After the removal, not before: a network the engine refused to remove keeps its rules.
    await this.syncFirewall();
  }
}
