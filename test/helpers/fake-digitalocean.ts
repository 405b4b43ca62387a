import { isIP } from 'node:net';
import { json, serveFake, type FakeAnswer, type FakeDnsApi, type FakeRequest } from './fake-api';

/**
 * DigitalOcean's API v2 (`/v2`) for domains and their records, as documented: records named relative to the
 * domain (`@` for the domain), listed with `type` and the fully qualified `name`, paginated with
 * `links.pages.next`; errors `{id, message}` (401 Unauthorized for a bad token, 403 forbidden for a read-only one).
 */
export interface FakeDigitalOcean extends FakeDnsApi {
  token: string;
  readOnlyToken: string;
  /** The `data` of the records at a fully qualified name. */
  records(fqdn: string, type: string): string[];
}

interface DomainRecord {
  id: number;
  type: string;
  name: string;
  data: string;
  priority: number | null;
  port: number | null;
  ttl: number;
  weight: number | null;
  flags: number | null;
  tag: string | null;
}

const BASE = '/v2';
const error = (status: number, id: string, message: string) => json(status, { id, message, request_id: 'fake' });

export async function startFakeDigitalOcean(domainNames: string[], options: { maxPerPage?: number } = {}): Promise<FakeDigitalOcean> {
  const token = `dop_v1_${Math.random().toString(16).slice(2)}`;
  const readOnlyToken = `dop_v1_ro_${Math.random().toString(16).slice(2)}`;
  const domains = new Map<string, DomainRecord[]>(domainNames.map((name) => [name, []]));
  const maxPerPage = options.maxPerPage ?? 200;
  let nextId = 1000;
  let origin = '';
  const fqdnOf = (domain: string, record: DomainRecord) => (record.name === '@' ? domain : `${record.name}.${domain}`);

  function recordFrom(body: string, recordId: number): DomainRecord | FakeAnswer {
    const input = JSON.parse(body) as Partial<DomainRecord>;
    if (!['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'CAA'].includes(String(input.type))) return error(422, 'unprocessable_entity', 'Type is not included in the list');
    if (!input.name || /\.$/.test(input.name)) return error(422, 'unprocessable_entity', 'Name is invalid');
    if (input.type === 'A' && isIP(String(input.data)) !== 4) return error(422, 'unprocessable_entity', 'Data needs to be a valid IP address');
    if (input.ttl !== undefined && Number(input.ttl) < 30) return error(422, 'unprocessable_entity', 'Ttl must be greater than or equal to 30');
    return {
      id: recordId, type: String(input.type), name: input.name, data: String(input.data ?? ''),
      priority: null, port: null, ttl: Number(input.ttl ?? 1800), weight: null, flags: null, tag: null,
    };
  }

  function list(domain: string, all: DomainRecord[], req: FakeRequest): FakeAnswer {
    const { type, name } = Object.fromEntries(req.url.searchParams);
    const matching = all.filter((r) => (!type || r.type === type) && (!name || fqdnOf(domain, r) === name));
    const perPage = Math.min(Number(req.url.searchParams.get('per_page') ?? 20), maxPerPage);
    const at = Number(req.url.searchParams.get('page') ?? 1);
    const last = Math.max(1, Math.ceil(matching.length / perPage));
    const link = (n: number) => {
      const url = new URL(`${origin}${req.url.pathname}${req.url.search}`);
      url.searchParams.set('page', String(n));
      return url.toString();
    };
    const pages = at < last ? { next: link(at + 1), last: link(last) } : {};
    return json(200, { domain_records: matching.slice((at - 1) * perPage, at * perPage), links: { pages }, meta: { total: matching.length } });
  }

  function answer(req: FakeRequest): FakeAnswer {
    const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (bearer !== token && bearer !== readOnlyToken) return error(401, 'Unauthorized', 'Unable to authenticate you');
    if (bearer === readOnlyToken && req.method !== 'GET') return error(403, 'forbidden', 'You do not have access for the attempted action.');
    const match = /^\/v2\/domains\/([^/]+)(\/records(?:\/(\d+))?)?$/.exec(req.url.pathname);
    const domain = match && decodeURIComponent(match[1]);
    const all = domain ? domains.get(domain) : undefined;
    if (!match || !domain || !all) return error(404, 'not_found', 'The resource you were accessing could not be found.');
    if (!match[2]) return req.method === 'GET' ? json(200, { domain: { name: domain, ttl: 1800, zone_file: '' } }) : error(405, 'method_not_allowed', 'Method not allowed');
    if (!match[3]) {
      if (req.method === 'GET') return list(domain, all, req);
      if (req.method !== 'POST') return error(405, 'method_not_allowed', 'Method not allowed');
      const record = recordFrom(req.body, nextId++);
      if (!('id' in record)) return record;
      all.push(record);
      return json(201, { domain_record: record });
    }
    const at = all.findIndex((r) => r.id === Number(match[3]));
    if (at < 0) return error(404, 'not_found', 'The resource you were accessing could not be found.');
    if (req.method === 'PUT') {
      const record = recordFrom(req.body, all[at].id);
      if (!('id' in record)) return record;
      all[at] = record;
      return json(200, { domain_record: record });
    }
    if (req.method === 'DELETE') {
      all.splice(at, 1);
      return { status: 204 };
    }
    return error(405, 'method_not_allowed', 'Method not allowed');
  }

  const server = await serveFake(answer);
  origin = server.origin;
  const domainOf = (fqdn: string) => [...domains.keys()].find((d) => fqdn === d || fqdn.endsWith(`.${d}`))!;
  return {
    url: `${server.origin}${BASE}`,
    token,
    readOnlyToken,
    records: (fqdn, type) => {
      const domain = domainOf(fqdn);
      return domains.get(domain)!.filter((r) => r.type === type && fqdnOf(domain, r) === fqdn).map((r) => r.data);
    },
    setRecord(fqdn, type, data) {
      const domain = domainOf(fqdn);
      for (const value of data) {
        domains.get(domain)!.push(recordFrom(JSON.stringify({ type, name: fqdn === domain ? '@' : fqdn.slice(0, -(domain.length + 1)), data: value, ttl: 1800 }), nextId++) as DomainRecord);
      }
    },
    seen: server.seen,
    stop: server.stop,
  };
}
