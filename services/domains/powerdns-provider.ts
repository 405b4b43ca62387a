import { validationError } from '../core/errors';
import type { DnsProvider, DnsZone } from './dns-provider';
import { quoteTxt, unquoteTxt } from './dns-text';

const TTL = 300;

export interface PowerDnsConfig {
  apiUrl: string;
  apiKey: string;
  serverId: string;
}

interface RrSet {
  name: string;
  type: string;
  records: Array<{ content: string; disabled?: boolean }>;
}

/**
 * PowerDNS Authoritative through its HTTP API (`api=yes`, `api-key`, the built-in webserver): the zone's
 * record sets are replaced or deleted with PATCH. Adding the domain reads the zone, so a wrong key or a zone
 * the server does not hold is a 400 then.
 */
export class PowerDnsProvider implements DnsProvider {
  readonly name = 'powerdns';
  readonly secretKeys = ['apiKey'];

  constructor(private readonly options: { timeoutSecs: number }) {}

  async verify(zone: DnsZone): Promise<Record<string, unknown>> {
    const config = parseConfig(zone.config);
    await this.zone(config, zone.zoneName);
    return { ...config };
  }

  async upsert(zone: DnsZone, fqdn: string, type: string, values: string[]): Promise<void> {
    // The API takes record content in zone-file form: TXT data must be quoted.
    const records = values.map((v) => ({ content: type === 'TXT' ? quoteTxt(v) : v, disabled: false }));
    await this.patch(parseConfig(zone.config), zone.zoneName, { name: `${fqdn}.`, type, ttl: TTL, changetype: 'REPLACE', records });
  }

  async remove(zone: DnsZone, fqdn: string, type: string): Promise<void> {
    await this.patch(parseConfig(zone.config), zone.zoneName, { name: `${fqdn}.`, type, changetype: 'DELETE' });
  }

  async get(zone: DnsZone, fqdn: string, type: string): Promise<string[]> {
    const { rrsets } = await this.zone(parseConfig(zone.config), zone.zoneName);
    const set = rrsets.find((r) => r.name.toLowerCase() === `${fqdn}.` && r.type === type);
    return (set?.records ?? []).filter((r) => !r.disabled).map((r) => (type === 'TXT' ? unquoteTxt(r.content) : r.content));
  }

  private async zone(config: PowerDnsConfig, zoneName: string): Promise<{ rrsets: RrSet[] }> {
    const res = await this.call(config, 'GET', zoneName);
    return (await res.json()) as { rrsets: RrSet[] };
  }

  private async patch(config: PowerDnsConfig, zoneName: string, rrset: Record<string, unknown>): Promise<void> {
    await this.call(config, 'PATCH', zoneName, { rrsets: [rrset] });
  }

  private async call(config: PowerDnsConfig, method: string, zoneName: string, body?: unknown): Promise<Response> {
    const url = `${config.apiUrl}/api/v1/servers/${encodeURIComponent(config.serverId)}/zones/${encodeURIComponent(`${zoneName}.`)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { 'X-API-Key': config.apiKey, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.options.timeoutSecs * 1000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw validationError(`The PowerDNS API at ${config.apiUrl} could not be reached (${cause})`, { field: 'config.apiUrl' });
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let reason = text.slice(0, 200);
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? reason;
    } catch {
      // Not JSON (a 401 is plain text): keep the text.
    }
    if (res.status === 401 || res.status === 403) {
      throw validationError(`The PowerDNS API at ${config.apiUrl} refused the API key (${res.status})`, { field: 'config.apiKey' });
    }
    if (res.status === 404 || (res.status === 422 && /not found|could not find/i.test(reason))) {
      throw validationError(`PowerDNS at ${config.apiUrl} has no zone ${zoneName}`, { field: 'zoneName' });
    }
    throw validationError(`PowerDNS at ${config.apiUrl} refused the change: ${res.status} ${reason}`.trim(), { field: 'config' });
  }
}

export function parseConfig(raw: Record<string, unknown>): PowerDnsConfig {
  const apiUrl = String(raw.apiUrl ?? '').trim().replace(/\/+$/, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(apiUrl);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    throw validationError('config.apiUrl must be the PowerDNS API base, such as http://127.0.0.1:8081', { field: 'config.apiUrl' });
  }
  const apiKey = String(raw.apiKey ?? '');
  if (!apiKey || apiKey.length > 512) throw validationError('config.apiKey is required (PowerDNS api-key)', { field: 'config.apiKey' });
  const serverId = String(raw.serverId ?? 'localhost');
  if (!/^[\w.-]{1,64}$/.test(serverId)) throw validationError('config.serverId must be the PowerDNS server id (localhost)', { field: 'config.serverId' });
  return { apiUrl, apiKey, serverId };
}
