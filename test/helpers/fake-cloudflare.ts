import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { json, serveFake, type FakeAnswer, type FakeDnsApi, type FakeRequest } from './fake-api';

/**
 * Cloudflare's API v4 (`/client/v4`) for the DNS calls Berth makes, as its documentation shapes them:
 * `{success, errors: [{code, message}], messages, result, result_info}`, one record per value, records
 * paginated with `page`/`per_page`. Tokens are checked as Cloudflare does (403, code 9109 for a bad token,
 * 9103 for a bad Global API Key, 10000 for a token that may not edit DNS).
 */
export interface FakeCloudflare extends FakeDnsApi {
  token: string;
  /** A token with Zone:Read only. */
  readOnlyToken: string;
  email: string;
  globalKey: string;
  /** Records as Cloudflare holds them (`content` as sent, TXT quoted). */
  records(fqdn: string, type: string): Array<{ content: string; proxied: boolean; ttl: number }>;
}

interface CfRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  proxied: boolean;
  ttl: number;
}

const BASE = '/client/v4';

export async function startFakeCloudflare(zoneNames: string[], options: { maxPerPage?: number } = {}): Promise<FakeCloudflare> {
  const id = () => randomBytes(16).toString('hex');
  const token = `cf-${id()}`;
  const readOnlyToken = `cf-ro-${id()}`;
  const email = 'owner@example.com';
  const globalKey = id();
  const zones = zoneNames.map((name) => ({ id: id(), name, status: 'active' }));
  const records: CfRecord[] = [];
  const maxPerPage = options.maxPerPage ?? 5000;

  const envelope = (result: unknown, extra: Record<string, unknown> = {}) => json(200, { success: true, errors: [], messages: [], result, ...extra });
  const failure = (status: number, code: number, message: string, chain?: { code: number; message: string }) =>
    json(status, { success: false, errors: [{ code, message, ...(chain ? { error_chain: [chain] } : {}) }], messages: [], result: null });

  /** null when the caller may go on; may it write (a read-only token may not)? */
  function authenticate(req: FakeRequest, write: boolean): FakeAnswer | null {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const bearer = /^Bearer (\S+)$/.exec(String(authorization));
      if (!bearer) return failure(400, 6003, 'Invalid request headers', { code: 6111, message: 'Invalid format for Authorization header' });
      if (bearer[1] === readOnlyToken) return write ? failure(403, 10000, 'Authentication error') : null;
      return bearer[1] === token ? null : failure(403, 9109, 'Invalid access token');
    }
    if (req.headers['x-auth-key'] !== undefined) {
      return req.headers['x-auth-key'] === globalKey && req.headers['x-auth-email'] === email ? null : failure(403, 9103, 'Unknown X-Auth-Key or X-Auth-Email');
    }
    return failure(400, 6003, 'Invalid request headers', { code: 6103, message: 'Invalid format for X-Auth-Key header' });
  }

  function page<T>(all: T[], req: FakeRequest) {
    const perPage = Math.min(Number(req.url.searchParams.get('per_page') ?? 100), maxPerPage);
    const at = Number(req.url.searchParams.get('page') ?? 1);
    const result = all.slice((at - 1) * perPage, at * perPage);
    return envelope(result, { result_info: { page: at, per_page: perPage, count: result.length, total_count: all.length, total_pages: Math.max(1, Math.ceil(all.length / perPage)) } });
  }

  /** The record from a POST or PUT body, or Cloudflare's refusal. */
  function recordFrom(zone: (typeof zones)[number], body: string, recordId: string): CfRecord | FakeAnswer {
    const input = JSON.parse(body) as Partial<CfRecord>;
    const name = String(input.name ?? '').toLowerCase();
    if (!['A', 'AAAA', 'CNAME', 'TXT', 'MX'].includes(String(input.type))) return failure(400, 1004, 'DNS Validation Error', { code: 9101, message: 'Invalid record type' });
    if (name !== zone.name && !name.endsWith(`.${zone.name}`)) return failure(400, 1004, 'DNS Validation Error', { code: 9007, message: 'Record name is not in the zone' });
    if (input.type === 'A' && isIP(String(input.content)) !== 4) return failure(400, 1004, 'DNS Validation Error', { code: 9005, message: 'Content for A record must be a valid IPv4 address.' });
    if (input.proxied && !['A', 'AAAA', 'CNAME'].includes(String(input.type))) return failure(400, 1004, 'DNS Validation Error', { code: 9004, message: 'This record type cannot be proxied.' });
    return { id: recordId, zone_id: zone.id, zone_name: zone.name, name, type: String(input.type), content: String(input.content), proxied: Boolean(input.proxied), ttl: Number(input.ttl ?? 1) };
  }

  function answer(req: FakeRequest): FakeAnswer {
    const path = req.url.pathname.startsWith(BASE) ? req.url.pathname.slice(BASE.length) : '';
    const denied = authenticate(req, req.method !== 'GET');
    if (denied) return denied;
    if (req.method === 'GET' && path === '/zones') {
      const name = req.url.searchParams.get('name');
      return page(zones.filter((z) => !name || z.name === name), req);
    }
    const match = /^\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(path);
    if (!match) return failure(404, 7000, 'No route for that URI');
    const zone = zones.find((z) => z.id === match[1]);
    if (!zone) return failure(400, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
    const recordId = match[2];
    if (!recordId && req.method === 'GET') {
      const { type, name } = Object.fromEntries(req.url.searchParams);
      return page(records.filter((r) => r.zone_id === zone.id && (!type || r.type === type) && (!name || r.name === name.toLowerCase())), req);
    }
    if (!recordId && req.method === 'POST') {
      const record = recordFrom(zone, req.body, id());
      if (!('id' in record)) return record;
      if (records.some((r) => r.name === record.name && r.type === record.type && r.content === record.content)) return failure(400, 81058, 'An identical record already exists.');
      records.push(record);
      return envelope(record);
    }
    const at = records.findIndex((r) => r.zone_id === zone.id && r.id === recordId);
    if (at < 0) return failure(404, 81044, 'Record does not exist.');
    if (req.method === 'PUT') {
      const record = recordFrom(zone, req.body, records[at].id);
      if (!('id' in record)) return record;
      records[at] = record;
      return envelope(record);
    }
    if (req.method === 'DELETE') {
      records.splice(at, 1);
      return envelope({ id: recordId });
    }
    return failure(405, 10405, 'Method not allowed');
  }

  const server = await serveFake(answer);
  return {
    url: `${server.origin}${BASE}`,
    token, readOnlyToken, email, globalKey,
    records: (fqdn, type) => records.filter((r) => r.name === fqdn && r.type === type).map(({ content, proxied, ttl }) => ({ content, proxied, ttl })),
    setRecord(fqdn, type, contents) {
      const zone = zones.find((z) => fqdn === z.name || fqdn.endsWith(`.${z.name}`))!;
      for (const content of contents) records.push({ id: id(), zone_id: zone.id, zone_name: zone.name, name: fqdn, type, content, proxied: false, ttl: 1 });
    },
    seen: server.seen,
    stop: server.stop,
  };
}
