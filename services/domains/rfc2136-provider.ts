import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';
import { validationError } from '../core/errors';
import { PROBE_LABEL, type DnsProvider, type DnsZone } from './dns-provider';
import { quoteTxt } from './dns-text';

const ALGORITHMS = ['hmac-md5', 'hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'];
const KEY_NAME = /^[a-z0-9]([a-z0-9_.-]{0,251}[a-z0-9])?$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TTL = 300;

export interface Rfc2136Config {
  server: string;
  port: number;
  keyName: string;
  algorithm: string;
  secret: string;
}

/**
 * Dynamic DNS updates (RFC 2136) signed with TSIG, for BIND, Knot, PowerDNS and any server that takes them.
 * Updates run `nsupdate` (bind9-dnsutils): no maintained npm package signs TSIG, and nsupdate is the reference
 * client. The key goes to nsupdate in a 0600 file that is removed right after, never on its command line.
 * Reads are plain queries to the same server with node:dns.
 */
export class Rfc2136Provider implements DnsProvider {
  readonly name = 'rfc2136';
  readonly secretKeys = ['secret'];

  constructor(private readonly options: { nsupdate: string; timeoutSecs: number }) {}

  async verify(zone: DnsZone): Promise<Record<string, unknown>> {
    const config = parseConfig(zone.config);
    const probe = `${PROBE_LABEL}.${zone.domain}`;
    await this.update(config, zone, [`update delete ${probe}. TXT`, `update add ${probe}. 60 TXT "berth"`]);
    await this.update(config, zone, [`update delete ${probe}. TXT`]);
    return { ...config };
  }

  async upsert(zone: DnsZone, fqdn: string, type: string, values: string[]): Promise<void> {
    const config = parseConfig(zone.config);
    const data = (v: string) => (type === 'TXT' ? quoteTxt(v) : v);
    await this.update(config, zone, [`update delete ${fqdn}. ${type}`, ...values.map((v) => `update add ${fqdn}. ${TTL} ${type} ${data(v)}`)]);
  }

  async remove(zone: DnsZone, fqdn: string, type: string): Promise<void> {
    await this.update(parseConfig(zone.config), zone, [`update delete ${fqdn}. ${type}`]);
  }

  async get(zone: DnsZone, fqdn: string, type: string): Promise<string[]> {
    const config = parseConfig(zone.config);
    const resolver = new Resolver({ timeout: this.options.timeoutSecs * 1000, tries: 1 });
    resolver.setServers([isIP(config.server) === 6 ? `[${config.server}]:${config.port}` : `${config.server}:${config.port}`]);
    try {
      if (type === 'A') return await resolver.resolve4(fqdn);
      if (type === 'TXT') return (await resolver.resolveTxt(fqdn)).map((parts) => parts.join(''));
      return (await resolver.resolve(fqdn, type)) as unknown as string[];
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
      throw validationError(`The DNS server ${config.server}:${config.port} could not be reached: no answer to a query for ${fqdn} (${code ?? (err as Error).message})`, {
        field: 'config.server',
      });
    }
  }

  /** One signed update message: the lines run between `zone` and `send`. */
  private async update(config: Rfc2136Config, zone: DnsZone, lines: string[]): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-nsupdate-'));
    const keyFile = path.join(dir, 'key.conf');
    try {
      fs.writeFileSync(keyFile, `key "${config.keyName}" {\n  algorithm ${config.algorithm};\n  secret "${config.secret}";\n};\n`, { mode: 0o600 });
      const script = [`server ${config.server} ${config.port}`, `zone ${zone.zoneName}.`, ...lines, 'send', ''].join('\n');
      const result = await run(this.options.nsupdate, ['-v', '-t', String(this.options.timeoutSecs), '-k', keyFile], script, (this.options.timeoutSecs + 5) * 1000);
      if (result.code !== 0) {
        const reason = explain(result.output);
        const unreachable = /Communication with|timed out|could not run|couldn't/i.test(reason);
        throw validationError(
          unreachable
            ? `The DNS server ${config.server}:${config.port} could not be reached: ${reason}`
            : `The DNS server ${config.server}:${config.port} refused the update: ${reason}`,
          { field: unreachable ? 'config.server' : 'config' },
        );
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

export function parseConfig(raw: Record<string, unknown>): Rfc2136Config {
  const server = String(raw.server ?? '').trim();
  if (!isIP(server)) throw validationError('config.server must be the IP address of the DNS server that takes updates', { field: 'config.server' });
  const port = raw.port === undefined ? 53 : Number(raw.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw validationError('config.port must be a port (1–65535)', { field: 'config.port' });
  const keyName = String(raw.keyName ?? '').trim().replace(/\.$/, '');
  if (!KEY_NAME.test(keyName)) throw validationError('config.keyName must be the TSIG key name, such as berth-key', { field: 'config.keyName' });
  const algorithm = String(raw.algorithm ?? 'hmac-sha256').toLowerCase();
  if (!ALGORITHMS.includes(algorithm)) throw validationError(`config.algorithm must be one of ${ALGORITHMS.join(', ')}`, { field: 'config.algorithm' });
  const secret = String(raw.secret ?? '').trim();
  if (!BASE64.test(secret)) throw validationError('config.secret must be the TSIG secret, in base64', { field: 'config.secret' });
  return { server, port, keyName, algorithm, secret };
}

/** nsupdate's own words, without its prompts and blank lines: "update failed: NOTAUTH(BADSIG)", "…: timed out". */
function explain(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.replace(/^;\s*/, '').trim())
    .filter((l) => l && !/^(Outgoing update query|Reply from update query|->>HEADER|flags:|ZONE SECTION|UPDATE SECTION|PREREQUISITE SECTION)/.test(l));
  return lines.slice(0, 3).join('; ') || 'no reason given';
}

function run(command: string, args: string[], stdin: string, killAfterMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${command} could not run (${err.message}); install bind9-dnsutils` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output: code === null ? `${output}\ntimed out` : output });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}
