import { validationError } from '../core/errors';
import { proveWrites, type DnsProvider, type DnsZone } from './dns-provider';
import { HEADER_SAFE, query, type JsonAnswer, type JsonApi } from './json-api';
import { planRecords } from './record-plan';

const TTL = 300;
/** DigitalOcean's largest page. */
const PER_PAGE = 200;

export interface DigitalOceanConfig {
  token: string;
}

interface DomainRecord {
  id: number;
  type: string;
  /** Relative to the domain; `@` is the domain itself. */
  name: string;
  data: string;
}

/**
 * DigitalOcean's DNS through its API v2 (`Authorization: Bearer <token>`), as Cloudron's `digitalocean`
 * provider. The zone is a DigitalOcean "domain"; a record set is one record per value, named relative to it.
 */
export class DigitalOceanProvider implements DnsProvider {
  readonly name = 'digitalocean';
  readonly secretKeys = ['token'];

  /** The API at the operator's base URL (server/compose/domains.ts). */
  constructor(private readonly api: JsonApi) {}

  /** Reads the domain (a clear 400 when the account has none of that name), then proves the token may write. */
  async verify(zone: DnsZone): Promise<Record<string, unknown>> {
    const config = { ...parseConfig(zone.config) };
    await this.ask(config, zone.zoneName, 'GET', '');
    await proveWrites(this, { ...zone, config });
    return config;
  }

  async upsert(zone: DnsZone, fqdn: string, type: string, values: string[]): Promise<void> {
    const config = parseConfig(zone.config);
    const plan = planRecords(await this.records(config, zone.zoneName, fqdn, type), values, (r, value) => r.data === value);
    const body = (data: string) => ({ type, name: relativeName(fqdn, zone.zoneName), data, ttl: TTL });
    for (const { record, value } of plan.update) await this.ask(config, zone.zoneName, 'PUT', `/records/${record.id}`, body(value));
    for (const value of plan.create) await this.ask(config, zone.zoneName, 'POST', '/records', body(value));
    for (const record of plan.remove) await this.ask(config, zone.zoneName, 'DELETE', `/records/${record.id}`, undefined, { goneIsFine: true });
  }

  async remove(zone: DnsZone, fqdn: string, type: string): Promise<void> {
    await this.upsert(zone, fqdn, type, []);
  }

  async get(zone: DnsZone, fqdn: string, type: string): Promise<string[]> {
    return (await this.records(parseConfig(zone.config), zone.zoneName, fqdn, type)).map((r) => r.data);
  }

  /** Every page: DigitalOcean filters by type and the fully qualified name, and says `links.pages.next` while more remain. */
  private async records(config: DigitalOceanConfig, zoneName: string, fqdn: string, type: string): Promise<DomainRecord[]> {
    const all: DomainRecord[] = [];
    for (let page = 1; ; page++) {
      const body = (await this.ask(config, zoneName, 'GET', `/records${query({ type, name: fqdn, per_page: PER_PAGE, page })}`)) as {
        domain_records?: DomainRecord[];
        links?: { pages?: { next?: string } };
      };
      all.push(...(body.domain_records ?? []).filter((r) => r.type === type));
      if (!body.links?.pages?.next) return all;
    }
  }

  /** One call under `/domains/<zone>`; a refusal is a 400 naming DigitalOcean's reason (`Unable to authenticate you`). */
  private async ask(config: DigitalOceanConfig, zoneName: string, method: string, path: string, body?: unknown, options: { goneIsFine?: boolean } = {}) {
    const answer = await this.api.call(method, `/domains/${encodeURIComponent(zoneName)}${path}`, { Authorization: `Bearer ${config.token}` }, body);
    if (answer.status < 300) return answer.body;
    if (answer.status === 404 && options.goneIsFine) return answer.body;
    if (answer.status === 404) throw validationError(`DigitalOcean has no domain ${zoneName} in this account`, { field: 'zoneName' });
    throw refusal(answer);
  }
}

function refusal(answer: JsonAnswer) {
  const { id, message } = answer.body as { id?: string; message?: string };
  const reason = message ? `${message}${id ? ` (${id})` : ''}` : `${answer.status} ${String(answer.body.text ?? '')}`.trim();
  return answer.status === 401 || answer.status === 403
    ? validationError(`DigitalOcean refused the token: ${reason}`, { field: 'config.token' })
    : validationError(`DigitalOcean refused the request: ${reason}`, { field: 'config' });
}

/** DigitalOcean names records relative to the domain, `@` for the domain itself. */
function relativeName(fqdn: string, zoneName: string): string {
  return fqdn === zoneName ? '@' : fqdn.slice(0, -(zoneName.length + 1));
}

export function parseConfig(raw: Record<string, unknown>): DigitalOceanConfig {
  const token = String(raw.token ?? '').trim();
  if (!HEADER_SAFE.test(token)) throw validationError('config.token is required: a DigitalOcean personal access token with write scope', { field: 'config.token' });
  return { token };
}
