import { isIP } from 'node:net';
import type { SettingsRepo } from '../settings/settings-repo';

/**
 * The IPv4 address apps' A records point at. A tenant whose setup chose the `fixed` sysinfo provider gets its
 * own address; `generic` (and `network-interface`, not read yet) use BERTH_PUBLIC_IP: Cloudron's `generic` asks
 * a web service for the public address, which a box cannot rely on reaching.
 */
export class BoxIp {
  constructor(private readonly deps: { settings: SettingsRepo; publicIp: string }) {}

  async of(instanceId: string): Promise<string> {
    const dashboard = (await this.deps.settings.get(instanceId, 'dashboard')) as { sysinfoConfig?: { provider?: string; ip?: string } } | undefined;
    const sysinfo = dashboard?.sysinfoConfig;
    if (sysinfo?.provider === 'fixed' && sysinfo.ip && isIP(sysinfo.ip) === 4) return sysinfo.ip;
    return this.deps.publicIp;
  }
}
