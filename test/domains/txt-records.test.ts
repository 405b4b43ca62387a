import { Resolver } from 'node:dns/promises';
import { PowerDnsProvider } from '../../services/domains/powerdns-provider';
import { Rfc2136Provider } from '../../services/domains/rfc2136-provider';
import { quoteTxt, unquoteTxt } from '../../services/domains/dns-text';
import type { DnsProvider, DnsZone } from '../../services/domains/dns-provider';
import { startBind, type TestBind } from '../helpers/bind';
import { startPowerDns, type TestPowerDns } from '../helpers/powerdns';

jest.setTimeout(60_000);

/** Values that break naive quoting: spaces, a semicolon, quotes, a backslash, and one longer than a DNS string. */
const TRICKY = ['one value', 'semi;colon "quoted" back\\slash', 'x'.repeat(300), 'Zm9vYmFyYmF6cXV4LWFjbWUtZGlnZXN0LXZhbHVlXzEyMw'];

describe('TXT data in zone-file form', () => {
  it('quotes, escapes and splits, and reads back what it wrote', () => {
    expect(quoteTxt('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(quoteTxt('')).toBe('""');
    expect(quoteTxt('y'.repeat(256))).toBe(`"${'y'.repeat(255)}" "y"`);
    for (const value of TRICKY) expect(unquoteTxt(quoteTxt(value))).toBe(value);
    expect(unquoteTxt('"a\\032b"')).toBe('a b');
    expect(unquoteTxt('plain')).toBe('plain');
  });
});

/** Both providers that write records, against their real servers: what DNS-01 relies on (two values at one name). */
describe.each(['rfc2136', 'powerdns'])('%s TXT records', (kind) => {
  let bind: TestBind | undefined;
  let pdns: TestPowerDns | undefined;
  let provider: DnsProvider;
  let zone: DnsZone;
  const resolver = new Resolver({ timeout: 2000, tries: 1 });

  beforeAll(async () => {
    if (kind === 'rfc2136') {
      bind = await startBind('txt.test');
      provider = new Rfc2136Provider({ nsupdate: 'nsupdate', timeoutSecs: 5 });
      zone = { domain: 'txt.test', zoneName: 'txt.test', config: bind.config };
      resolver.setServers([`127.0.0.1:${bind.port}`]);
    } else {
      pdns = await startPowerDns('txt.test');
      provider = new PowerDnsProvider({ timeoutSecs: 5 });
      zone = { domain: 'txt.test', zoneName: 'txt.test', config: pdns.config };
      resolver.setServers([`127.0.0.1:${pdns.dnsPort}`]);
    }
  });

  afterAll(async () => {
    await bind?.stop();
    await pdns?.stop();
  });

  const served = async (fqdn: string) =>
    (await resolver.resolveTxt(fqdn).catch(() => [] as string[][])).map((strings) => strings.join('')).sort();

  it('writes several values at one name exactly, replaces and removes them', async () => {
    const name = '_acme-challenge.txt.test';
    await provider.upsert(zone, name, 'TXT', TRICKY);
    expect((await provider.get(zone, name, 'TXT')).sort()).toEqual([...TRICKY].sort());
    expect(await served(name)).toEqual([...TRICKY].sort());

    await provider.upsert(zone, name, 'TXT', ['only']);
    expect(await provider.get(zone, name, 'TXT')).toEqual(['only']);
    expect(await served(name)).toEqual(['only']);

    await provider.remove(zone, name, 'TXT');
    expect(await provider.get(zone, name, 'TXT')).toEqual([]);
    expect(await served(name)).toEqual([]);
  });
});
