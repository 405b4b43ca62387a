import http from 'node:http';
import https from 'node:https';
import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
  type RRType,
} from '@aws-sdk/client-route-53';
import { BerthError, validationError } from '../core/errors';
import { proveWrites, type DnsProvider, type DnsZone } from './dns-provider';
import { quoteTxt, unquoteTxt } from './dns-text';

const TTL = 300;
/** AWS's error codes for keys it does not accept or that may not do this. */
const AUTH_CODES = new Set([
  'InvalidClientTokenId', 'SignatureDoesNotMatch', 'AccessDenied', 'AccessDeniedException', 'UnrecognizedClientException',
  'InvalidSignatureException', 'IncompleteSignature', 'MissingAuthenticationToken', 'ExpiredToken',
]);

export interface Route53Config {
  accessKeyId: string;
  secretAccessKey: string;
  /** Route 53 is global; the region only picks the partition (us-east-1 for AWS, cn-north-1 for China). */
  region: string;
}

/**
 * AWS Route 53 through the AWS SDK v3 (SigV4 signing, its XML), as Cloudron's `route53` provider. A name's
 * values are one resource record set, so `upsert` is one UPSERT; DELETE must repeat the set exactly, so
 * `remove` reads it first. The hosted zone is found by name on each call (the public one, if there are both).
 */
export class Route53Provider implements DnsProvider {
  readonly name = 'route53';
  readonly secretKeys = ['secretAccessKey'];

  /** `endpoint`: BERTH_ROUTE53_ENDPOINT, an operator's setting; unset, the SDK's for the region. */
  constructor(private readonly options: { endpoint?: string; timeoutSecs: number }) {}

  async verify(zone: DnsZone): Promise<Record<string, unknown>> {
    const config = { ...parseConfig(zone.config) };
    await proveWrites(this, { ...zone, config });
    return config;
  }

  async upsert(zone: DnsZone, fqdn: string, type: string, values: string[]): Promise<void> {
    if (!values.length) return this.remove(zone, fqdn, type);
    await this.session(parseConfig(zone.config), async (client) => {
      const set: ResourceRecordSet = { Name: `${fqdn}.`, Type: type as RRType, TTL, ResourceRecords: [...new Set(values)].map((v) => ({ Value: toWire(type, v) })) };
      await client.send(new ChangeResourceRecordSetsCommand({
        HostedZoneId: await this.zoneId(client, zone.zoneName),
        ChangeBatch: { Comment: 'Berth', Changes: [{ Action: 'UPSERT', ResourceRecordSet: set }] },
      }));
    });
  }

  async remove(zone: DnsZone, fqdn: string, type: string): Promise<void> {
    await this.session(parseConfig(zone.config), async (client) => {
      const zoneId = await this.zoneId(client, zone.zoneName);
      const set = await this.recordSet(client, zoneId, fqdn, type);
      if (!set) return;
      await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: 'Berth', Changes: [{ Action: 'DELETE', ResourceRecordSet: set }] } }));
    });
  }

  async get(zone: DnsZone, fqdn: string, type: string): Promise<string[]> {
    return this.session(parseConfig(zone.config), async (client) => {
      const set = await this.recordSet(client, await this.zoneId(client, zone.zoneName), fqdn, type);
      return (set?.ResourceRecords ?? []).map((r) => fromWire(type, r.Value ?? ''));
    });
  }

  private async zoneId(client: Route53Client, zoneName: string): Promise<string> {
    const { HostedZones } = await client.send(new ListHostedZonesByNameCommand({ DNSName: zoneName, MaxItems: 10 }));
    const found = (HostedZones ?? []).find((z) => nameOf(z.Name) === zoneName && !z.Config?.PrivateZone);
    if (!found?.Id) throw validationError(`Route 53 has no public hosted zone ${zoneName} that these credentials can see`, { field: 'zoneName' });
    return found.Id.replace(/^\/hostedzone\//, '');
  }

  /** The simple (not weighted, not latency…) set for the name and type, as Route 53 holds it. */
  private async recordSet(client: Route53Client, zoneId: string, fqdn: string, type: string): Promise<ResourceRecordSet | undefined> {
    const { ResourceRecordSets } = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: fqdn, StartRecordType: type as RRType, MaxItems: 1 }),
    );
    return (ResourceRecordSets ?? []).find((s) => nameOf(s.Name) === fqdn && s.Type === type && !s.SetIdentifier);
  }

  /** A client for one operation (no idle sockets left behind); the SDK's errors turned into 400s naming AWS's code. */
  private async session<T>(config: Route53Config, work: (client: Route53Client) => Promise<T>): Promise<T> {
    const client = new Route53Client({
      region: config.region,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      maxAttempts: 2,
      requestHandler: {
        httpAgent: new http.Agent({ keepAlive: false }),
        httpsAgent: new https.Agent({ keepAlive: false }),
        connectionTimeout: this.options.timeoutSecs * 1000,
        requestTimeout: this.options.timeoutSecs * 1000,
      },
    });
    try {
      return await work(client);
    } catch (err) {
      throw this.refusal(err);
    } finally {
      client.destroy();
    }
  }

  private refusal(err: unknown): BerthError {
    if (err instanceof BerthError) return err;
    const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    if (status === undefined) {
      // The SDK wraps a socket's error ("AWS SDK error wrapper for Error: connect ECONNREFUSED …"): keep its code.
      const why = e.code ?? /\b(E[A-Z]{3,})\b/.exec(e.message ?? '')?.[1] ?? e.name ?? 'no answer';
      return validationError(`Berth could not reach Route 53 at ${this.options.endpoint ?? 'AWS'} (${why})`, { field: 'provider' });
    }
    const reason = `${e.name}: ${e.message}`;
    if (AUTH_CODES.has(e.name ?? '') || status === 401 || status === 403) return validationError(`Route 53 refused the credentials: ${reason}`, { field: 'config.accessKeyId' });
    if (e.name === 'NoSuchHostedZone') return validationError(`Route 53 has no such hosted zone: ${e.message}`, { field: 'zoneName' });
    return validationError(`Route 53 refused the request: ${reason}`, { field: 'config' });
  }
}

/** Route 53 keeps TXT data in zone-file form (quoted strings); Berth's values are the text. */
const toWire = (type: string, value: string) => (type === 'TXT' ? quoteTxt(value) : value);
const fromWire = (type: string, value: string) => (type === 'TXT' ? unquoteTxt(value) : value);

/** Route 53's names end with a dot and escape unusual characters in octal (`*` is `\052`). */
function nameOf(name: string | undefined): string {
  return String(name ?? '').replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))).replace(/\.$/, '').toLowerCase();
}

export function parseConfig(raw: Record<string, unknown>): Route53Config {
  const accessKeyId = String(raw.accessKeyId ?? '').trim();
  if (!/^\w{16,128}$/.test(accessKeyId)) throw validationError('config.accessKeyId is required: the access key id of an IAM user that may change the zone', { field: 'config.accessKeyId' });
  const secretAccessKey = String(raw.secretAccessKey ?? '').trim();
  if (!/^\S{1,512}$/.test(secretAccessKey)) throw validationError('config.secretAccessKey is required', { field: 'config.secretAccessKey' });
  const region = String(raw.region ?? 'us-east-1').trim() || 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) throw validationError('config.region must be an AWS region such as us-east-1', { field: 'config.region' });
  return { accessKeyId, secretAccessKey, region };
}
