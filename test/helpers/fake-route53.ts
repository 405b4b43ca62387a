import { createHash, createHmac, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { serveFake, type FakeAnswer, type FakeDnsApi, type FakeRequest } from './fake-api';

/**
 * Route 53's REST XML API (2013-04-01) for the calls Berth makes — ListHostedZonesByName,
 * ListResourceRecordSets, ChangeResourceRecordSets — with its documented shapes and checks: SigV4 signatures
 * verified against the secret (InvalidClientTokenId for an unknown key id, SignatureDoesNotMatch for a wrong
 * secret, both 403), a key without write permission refused with AccessDenied, TXT values that must be quoted,
 * DELETE that must repeat the set exactly, a batch applied whole or not at all. Each zone has its SOA and NS
 * sets, and a private zone of the same name next to the public one.
 */
export interface FakeRoute53 extends FakeDnsApi {
  accessKeyId: string;
  secretAccessKey: string;
  /** A key pair whose user may read but not change record sets. */
  readOnly: { accessKeyId: string; secretAccessKey: string };
  /** The values of the public zone's set, as Route 53 holds them (TXT quoted). */
  records(fqdn: string, type: string): string[];
}

interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

interface Zone {
  id: string;
  name: string;
  private: boolean;
  sets: RecordSet[];
}

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const API = '/2013-04-01';

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlUnescape = (s: string) => s.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-f]+));/gi, (_, e: string, dec?: string, hex?: string) =>
  dec ? String.fromCharCode(Number(dec)) : hex ? String.fromCharCode(parseInt(hex, 16)) : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[e]);
const tags = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]);
const tag = (xml: string, name: string) => {
  const found = tags(xml, name)[0];
  return found === undefined ? undefined : xmlUnescape(found);
};
const xml = (status: number, body: string): FakeAnswer => ({ status, type: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}` });
const awsError = (status: number, code: string, message: string) =>
  xml(status, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`);
/** Today's form (no longer the `<InvalidChangeBatch><Messages>` root of the older documentation): the messages in brackets. */
const invalidBatch = (message: string) => awsError(400, 'InvalidChangeBatch', `[${message}]`);

/** Names end with a dot, lower-cased. */
const canonical = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;
/** Route 53 orders names by their labels read from the right, then by type. */
const order = (name: string, type = '') => `${canonical(name).split('.').reverse().join('.')} ${type}`;
const QUOTED_STRINGS = /^"(?:[^"\\]|\\.)*"(?: "(?:[^"\\]|\\.)*")*$/;

export async function startFakeRoute53(zoneNames: string[]): Promise<FakeRoute53> {
  const key = () => `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const users = new Map([
    [key(), { secret: randomBytes(20).toString('base64'), write: true }],
    [key(), { secret: randomBytes(20).toString('base64'), write: false }],
  ]);
  const [[accessKeyId, writer], [readOnlyKeyId, reader]] = [...users];
  const zones: Zone[] = zoneNames.flatMap((name, i) => [
    { id: `ZPRIVATE${i}`, name: canonical(name), private: true, sets: [] },
    {
      id: `Z${i}PUBLIC${randomBytes(4).toString('hex').toUpperCase()}`, name: canonical(name), private: false,
      sets: [
        { name: canonical(name), type: 'NS', ttl: 172800, values: ['ns-1.awsdns-01.org.', 'ns-2.awsdns-02.com.'] },
        { name: canonical(name), type: 'SOA', ttl: 900, values: ['ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400'] },
      ],
    },
  ]);

  function answer(req: FakeRequest): FakeAnswer {
    const user = authenticate(req, users);
    if ('status' in user) return user;
    if (req.method === 'GET' && req.url.pathname === `${API}/hostedzonesbyname`) return listZones(req);
    const match = new RegExp(`^${API}/hostedzone/([^/]+)/rrset/?$`).exec(req.url.pathname);
    const zone = match && zones.find((z) => z.id === decodeURIComponent(match[1]));
    if (!match) return awsError(404, 'UnknownOperationException', `No operation for ${req.method} ${req.url.pathname}`);
    if (!zone) return awsError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${match[1]}`);
    if (req.method === 'GET') return listSets(zone, req);
    if (req.method !== 'POST') return awsError(405, 'UnknownOperationException', 'Method not allowed');
    if (!user.write) {
      return awsError(403, 'AccessDenied', `User: arn:aws:iam::123456789012:user/berth-ro is not authorized to perform: route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/${zone.id} because no identity-based policy allows the route53:ChangeResourceRecordSets action`);
    }
    return change(zone, req.body);
  }

  function listZones(req: FakeRequest): FakeAnswer {
    const start = req.url.searchParams.get('dnsname');
    const max = Number(req.url.searchParams.get('maxitems') ?? 100);
    const sorted = [...zones].sort((a, b) => order(a.name, a.id).localeCompare(order(b.name, b.id)));
    const from = start ? sorted.filter((z) => order(z.name) >= order(start)) : sorted;
    const items = from.slice(0, max).map((z) =>
      `<HostedZone><Id>/hostedzone/${z.id}</Id><Name>${z.name}</Name><CallerReference>fake-${z.id}</CallerReference>` +
      `<Config><PrivateZone>${z.private}</PrivateZone></Config><ResourceRecordSetCount>${z.sets.length}</ResourceRecordSetCount></HostedZone>`);
    return xml(200, `<ListHostedZonesByNameResponse xmlns="${NS}"><HostedZones>${items.join('')}</HostedZones>${start ? `<DNSName>${xmlEscape(canonical(start))}</DNSName>` : ''}` +
      `<IsTruncated>${from.length > max}</IsTruncated><MaxItems>${max}</MaxItems></ListHostedZonesByNameResponse>`);
  }

  function listSets(zone: Zone, req: FakeRequest): FakeAnswer {
    const name = req.url.searchParams.get('name');
    const type = req.url.searchParams.get('type');
    if (type && !name) return awsError(400, 'InvalidInput', 'The input is not valid: type requires name');
    const max = Number(req.url.searchParams.get('maxitems') ?? 300);
    const sorted = [...zone.sets].sort((a, b) => order(a.name, a.type).localeCompare(order(b.name, b.type)));
    const from = name ? sorted.filter((s) => order(s.name, s.type) >= order(name, type ?? '')) : sorted;
    const items = from.slice(0, max).map((s) =>
      `<ResourceRecordSet><Name>${xmlEscape(s.name)}</Name><Type>${s.type}</Type><TTL>${s.ttl}</TTL><ResourceRecords>` +
      s.values.map((v) => `<ResourceRecord><Value>${xmlEscape(v)}</Value></ResourceRecord>`).join('') + '</ResourceRecords></ResourceRecordSet>');
    const next = from[max];
    return xml(200, `<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${items.join('')}</ResourceRecordSets><IsTruncated>${Boolean(next)}</IsTruncated>` +
      (next ? `<NextRecordName>${xmlEscape(next.name)}</NextRecordName><NextRecordType>${next.type}</NextRecordType>` : '') +
      `<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`);
  }

  /** A ChangeBatch, checked whole first, as Route 53 applies it: all or nothing. */
  function change(zone: Zone, body: string): FakeAnswer {
    if (!/^(<\?xml[^>]*\?>)?\s*<ChangeResourceRecordSetsRequest xmlns="https:\/\/route53\.amazonaws\.com\/doc\/2013-04-01\/">/.test(body)) {
      return awsError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
    }
    const sets = zone.sets.map((s) => ({ ...s }));
    for (const item of tags(body, 'Change')) {
      const action = tag(item, 'Action');
      const set: RecordSet = {
        name: canonical(tag(item, 'Name') ?? ''), type: tag(item, 'Type') ?? '', ttl: Number(tag(item, 'TTL')),
        values: tags(item, 'Value').map(xmlUnescape),
      };
      const described = `[name='${set.name}', type='${set.type}']`;
      if (set.name !== zone.name && !set.name.endsWith(`.${zone.name}`)) return invalidBatch(`RRSet with DNS name ${set.name} is not permitted in zone ${zone.name}`);
      for (const value of set.values) {
        if (set.type === 'A' && isIP(value) !== 4) return invalidBatch(`Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${value}''`);
        if (set.type === 'TXT' && !QUOTED_STRINGS.test(value)) return invalidBatch(`Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${value}''`);
      }
      const at = sets.findIndex((s) => s.name === set.name && s.type === set.type);
      if (action === 'DELETE') {
        if (at < 0) return invalidBatch(`Tried to delete resource record set ${described} but it was not found`);
        if (sets[at].ttl !== set.ttl || [...sets[at].values].sort().join('\n') !== [...set.values].sort().join('\n')) {
          return invalidBatch(`Tried to delete resource record set ${described} but the values provided do not match the current values`);
        }
        sets.splice(at, 1);
      } else if (action === 'UPSERT' || action === 'CREATE') {
        if (!set.values.length || !Number.isInteger(set.ttl)) return awsError(400, 'InvalidInput', 'Invalid request: a set needs a TTL and at least one ResourceRecord');
        if (action === 'CREATE' && at >= 0) return invalidBatch(`Tried to create resource record set ${described} but it already exists`);
        if (at >= 0) sets[at] = set;
        else sets.push(set);
      } else {
        return awsError(400, 'InvalidInput', `Invalid request: Action ${action} is not one of CREATE, DELETE, UPSERT`);
      }
    }
    zone.sets = sets;
    return xml(200, `<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/C${randomBytes(6).toString('hex').toUpperCase()}</Id>` +
      `<Status>PENDING</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`);
  }

  const server = await serveFake(answer);
  const publicZone = (fqdn: string) => zones.find((z) => !z.private && (canonical(fqdn) === z.name || canonical(fqdn).endsWith(`.${z.name}`)))!;
  return {
    url: server.origin,
    accessKeyId,
    secretAccessKey: writer.secret,
    readOnly: { accessKeyId: readOnlyKeyId, secretAccessKey: reader.secret },
    records: (fqdn, type) => publicZone(fqdn).sets.find((s) => s.name === canonical(fqdn) && s.type === type)?.values ?? [],
    setRecord(fqdn, type, values) {
      const zone = publicZone(fqdn);
      zone.sets = [...zone.sets.filter((s) => !(s.name === canonical(fqdn) && s.type === type)), { name: canonical(fqdn), type, ttl: 60, values }];
    },
    seen: server.seen,
    stop: server.stop,
  };
}

/**
 * SigV4 as AWS checks it: the request is made canonical again from what arrived (the signed headers, the
 * query sorted, each path segment escaped once more as for every service but S3) and signed with the key's secret.
 */
function authenticate(req: FakeRequest, users: Map<string, { secret: string; write: boolean }>): { write: boolean } | FakeAnswer {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? ''));
  if (!auth) return awsError(403, 'MissingAuthenticationToken', 'Missing Authentication Token');
  const [, keyId, date, region, service, signedHeaders, signature] = auth;
  const user = users.get(keyId);
  if (!user) return awsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const rawPath = req.url.pathname;
  const canonicalPath = rawPath.split('/').map(escape).join('/');
  const canonicalQuery = [...req.url.searchParams].map(([k, v]) => [escape(k), escape(v)]).sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const headers = signedHeaders.split(';').map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256(req.body));
  const canonicalRequest = [req.method, canonicalPath, canonicalQuery, headers, signedHeaders, payloadHash].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', String(req.headers['x-amz-date']), `${date}/${region}/${service}/aws4_request`, sha256(canonicalRequest)].join('\n');
  const hmac = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${user.secret}`, date), region), service), 'aws4_request');
  if (createHmac('sha256', signingKey).update(stringToSign).digest('hex') !== signature) {
    return awsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
  }
  return { write: user.write };
}
