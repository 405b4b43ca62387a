import { validationError } from '../core/errors';
import { proveWrites, type DnsProvider, type DnsZone } from './dns-provider';
import { quoteTxt, unquoteTxt } from './dns-text';
import { HEADER_SAFE, query, type JsonAnswer, type JsonApi } from './json-api';
import { planRecords } from './record-plan';

const TTL = 300;
/** Cloudflare's "automatic" TTL, the only one proxied records have. */
const AUTO_TTL = 1;
const TOKEN_TYPES = ['ApiToken', 'GlobalApiKey'] as const;
/** Cloudflare's codes for a token or key it does not accept (its API answers some of them with a 400). */
const AUTH_CODES = new Set([6003, 6100, 6101, 6102, 6103, 6111, 9103, 9106, 9107, 9109, 10000]);

export interface CloudflareConfig {
  tokenType: (typeof TOKEN_TYPES)[number];
  token: string;
  /** The account's email address, which goes with a Global API Key. */
  email?: string;
  /** Whether apps' A records are proxied through Cloudflare (the orange cloud). */
  defaultProxyStatus: boolean;
}

interface Envelope {
  success?: boolean;
  errors?: Array<{ code?: number; message?: string; error_chain?: Array<{ code?: number; message?: string }> }>;
  result?: unknown;
  result_info?: { page?: number; total_pages?: number };
}

interface CloudflareRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  proxied?: boolean;
}

/**
 * Cloudflare's API v4 with an API token (`Authorization: Bearer`) or the Global API Key (`X-Auth-Email`,
 * `X-Auth-Key`), as Cloudron's `cloudflare` provider. A record set is one row per value: `upsert` rewrites rows
 * in place and creates or deletes the rest. The zone is looked up by name on each call, so nothing of it is stored.
 */
export class CloudflareProvider implements DnsProvider {
  readonly name = 'cloudflare';
  readonly secretKeys = ['token'];

  /** The API at the operator's base URL (server/compose/domains.ts). */
  constructor(private readonly api: JsonApi) {}

  /** Finds the zone (a clear 400 when the credentials see none of that name), then proves they may write. */
  async verify(zone: DnsZone): Promise<Record<string, unknown>> {
    const config = { ...parseConfig(zone.config) };
    await this.zoneId(config, zone.zoneName);
    await proveWrites(this, { ...zone, config });
    return config;
  }

  async upsert(zone: DnsZone, fqdn: string, type: string, values: string[]): Promise<void> {
    const config = parseConfig(zone.config);
    const zoneId = await this.zoneId(config, zone.zoneName);
    const records = `/zones/${encodeURIComponent(zoneId)}/dns_records`;
    const proxied = type === 'A' && config.defaultProxyStatus;
    const plan = planRecords(await this.records(config, zoneId, fqdn, type), values, (r, value) => valueOf(r) === value && Boolean(r.proxied) === proxied);
    const body = (value: string) => ({
      type,
      name: fqdn,
      content: type === 'TXT' ? quoteTxt(value) : value,
      ttl: proxied ? AUTO_TTL : TTL,
      ...(type === 'A' ? { proxied } : {}),
    });
    for (const { record, value } of plan.update) await this.ask(config, 'PUT', `${records}/${encodeURIComponent(record.id)}`, body(value));
    for (const value of plan.create) await this.ask(config, 'POST', records, body(value));
    for (const record of plan.remove) await this.ask(config, 'DELETE', `${records}/${encodeURIComponent(record.id)}`, undefined, { goneIsFine: true });
  }

  async remove(zone: DnsZone, fqdn: string, type: string): Promise<void> {
    await this.upsert(zone, fqdn, type, []);
  }

  async get(zone: DnsZone, fqdn: string, type: string): Promise<string[]> {
    const config = parseConfig(zone.config);
    return (await this.records(config, await this.zoneId(config, zone.zoneName), fqdn, type)).map(valueOf);
  }

  private async zoneId(config: CloudflareConfig, zoneName: string): Promise<string> {
    const zones = (await this.ask(config, 'GET', `/zones${query({ name: zoneName })}`)).result as Array<{ id: string; name: string }>;
    const found = (zones ?? []).find((z) => z.name.toLowerCase() === zoneName);
    if (!found) throw validationError(`Cloudflare has no zone ${zoneName} that these credentials can see`, { field: 'zoneName' });
    return found.id;
  }

  private async records(config: CloudflareConfig, zoneId: string, fqdn: string, type: string): Promise<CloudflareRecord[]> {
    const all: CloudflareRecord[] = [];
    for (let page = 1; ; page++) {
      const answer = await this.ask(config, 'GET', `/zones/${encodeURIComponent(zoneId)}/dns_records${query({ type, name: fqdn, per_page: 100, page })}`);
      all.push(...((answer.result as CloudflareRecord[]) ?? []));
      if (page >= (answer.result_info?.total_pages ?? 1)) return all;
    }
  }

  /** One call; a refusal is a 400 naming Cloudflare's own reason (`Invalid access token (code 9109)`). */
  private async ask(config: CloudflareConfig, method: string, path: string, body?: unknown, options: { goneIsFine?: boolean } = {}): Promise<Envelope> {
    const headers: Record<string, string> = config.tokenType === 'GlobalApiKey'
      ? { 'X-Auth-Email': config.email ?? '', 'X-Auth-Key': config.token }
      : { Authorization: `Bearer ${config.token}` };
    const answer = await this.api.call(method, path, headers, body);
    const envelope = answer.body as Envelope;
    if (answer.status < 300 && envelope.success !== false) return envelope;
    if (answer.status === 404 && options.goneIsFine) return envelope;
    throw refusal(answer);
  }
}

function refusal(answer: JsonAnswer) {
  const envelope = answer.body as Envelope;
  const first = envelope.errors?.[0];
  const chained = first?.error_chain?.[0]?.message;
  const reason = first ? `${first.message ?? 'no message'}${chained ? `: ${chained}` : ''} (code ${first.code})` : `${answer.status} ${String(answer.body.text ?? '')}`.trim();
  const credentials = answer.status === 401 || answer.status === 403 || [first?.code, ...(first?.error_chain ?? []).map((e) => e.code)].some((c) => AUTH_CODES.has(Number(c)));
  return credentials
    ? validationError(`Cloudflare refused the credentials: ${reason}`, { field: 'config.token' })
    : validationError(`Cloudflare refused the request: ${reason}`, { field: 'config' });
}

const valueOf = (record: CloudflareRecord) => (record.type === 'TXT' ? unquoteTxt(record.content) : record.content);

export function parseConfig(raw: Record<string, unknown>): CloudflareConfig {
  const tokenType = String(raw.tokenType ?? 'ApiToken') as CloudflareConfig['tokenType'];
  if (!TOKEN_TYPES.includes(tokenType)) throw validationError('config.tokenType must be ApiToken or GlobalApiKey', { field: 'config.tokenType' });
  const token = String(raw.token ?? '').trim();
  if (!HEADER_SAFE.test(token)) {
    throw validationError('config.token is required: a Cloudflare API token (Zone:Read and DNS:Edit), or the Global API Key with tokenType GlobalApiKey', {
      field: 'config.token',
    });
  }
  const defaultProxyStatus = raw.defaultProxyStatus ?? false;
  if (typeof defaultProxyStatus !== 'boolean') throw validationError('config.defaultProxyStatus must be true or false', { field: 'config.defaultProxyStatus' });
  if (tokenType === 'ApiToken') return { tokenType, token, defaultProxyStatus };
  const email = String(raw.email ?? '').trim();
  if (!HEADER_SAFE.test(email) || !/^[^@]+@[^@]+$/.test(email)) {
    throw validationError("config.email is required with tokenType GlobalApiKey: the Cloudflare account's email address", { field: 'config.email' });
  }
  return { tokenType, token, email, defaultProxyStatus };
}
