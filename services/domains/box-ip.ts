import { isIP } from 'node:net';
import os from 'node:os';
import type { SettingsRepo } from '../settings/settings-repo';

/**
 * The IPv4 address apps' A records point at, chosen by the tenant's setup (`sysinfoConfig`): `fixed` gives it,
 * `network-interface` reads it from the named interface of this machine, and `generic` uses BERTH_PUBLIC_IP:
 * Cloudron's `generic` asks a web service for the public address, which a box cannot rely on reaching.
 */
export class BoxIp {
  constructor(private readonly deps: { settings: SettingsRepo; publicIp: string }) {}

  async of(instanceId: string): Promise<string> {
    const dashboard = (await this.deps.settings.get(instanceId, 'dashboard')) as { sysinfoConfig?: { provider?: string; ip?: string; ifname?: string } } | undefined;
    const sysinfo = dashboard?.sysinfoConfig;
    if (sysinfo?.provider === 'fixed' && sysinfo.ip && isIP(sysinfo.ip) === 4) return sysinfo.ip;
    if (sysinfo?.provider === 'network-interface' && sysinfo.ifname) return interfaceIpv4(sysinfo.ifname) ?? this.deps.publicIp;
    return this.deps.publicIp;
  }
}

/** The first IPv4 address of a network interface of this machine; undefined when it has none (or does not exist). */
export function interfaceIpv4(name: string): string | undefined {
  return os.networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
}
