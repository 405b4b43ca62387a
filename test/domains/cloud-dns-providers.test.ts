import type { DnsProvider, DnsZone } from '../../services/domains/dns-provider';
import { CloudflareProvider } from '../../services/domains/cloudflare-provider';
import { DigitalOceanProvider } from '../../services/domains/digitalocean-provider';
import { JsonApi } from '../../services/domains/json-api';
import { Route53Provider } from '../../services/domains/route53-provider';
import { startFakeCloudflare, type FakeCloudflare } from '../helpers/fake-cloudflare';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../helpers/fake-digitalocean';
import { startFakeRoute53, type FakeRoute53 } from '../helpers/fake-route53';
import { freePort } from '../helpers/processes';

jest.setTimeout(60_000);

/**
 * The cloudflare, digitalocean and route53 providers, called directly, against fakes of their APIs: the TXT
 * records ACME DNS-01 will write, and an upsert that must leave exactly the given values.
 */
describe('cloud DNS providers against fakes of their APIs', () => {
  let cf: FakeCloudflare;
  let doApi: FakeDigitalOcean;
  let r53: FakeRoute53;

  beforeAll(async () => {
    // Small pages, so reads that need several are exercised.
    cf = await startFakeCloudflare(['cf.test'], { maxPerPage: 2 });
    doApi = await startFakeDigitalOcean(['do.test'], { maxPerPage: 2 });
    r53 = await startFakeRoute53(['r53.test']);
  });

  afterAll(async () => {
    await cf?.stop();
    await doApi?.stop();
    await r53?.stop();
  });

  const jsonApi = (label: string, baseUrl: string) => new JsonApi({ label, baseUrl, timeoutSecs: 2 });
  const cases = () => [
    {
      provider: new CloudflareProvider(jsonApi('Cloudflare', cf.url)) as DnsProvider,
      zone: { domain: 'cf.test', zoneName: 'cf.test', config: { token: cf.token } },
      wire: (fqdn: string, type: string) => cf.records(fqdn, type).map((r) => r.content),
      quoted: true,
    },
    {
      provider: new DigitalOceanProvider(jsonApi('DigitalOcean', doApi.url)) as DnsProvider,
      zone: { domain: 'do.test', zoneName: 'do.test', config: { token: doApi.token } },
      wire: (fqdn: string, type: string) => doApi.records(fqdn, type),
      quoted: false,
    },
    {
      provider: new Route53Provider({ endpoint: r53.url, timeoutSecs: 2 }) as DnsProvider,
      zone: { domain: 'r53.test', zoneName: 'r53.test', config: { accessKeyId: r53.accessKeyId, secretAccessKey: r53.secretAccessKey } },
      wire: (fqdn: string, type: string) => r53.records(fqdn, type),
      quoted: true,
    },
  ];

  it.each(['cloudflare', 'digitalocean', 'route53'])('%s: TXT upsert holds exactly the given values; remove is idempotent', async (name) => {
    const { provider, zone, wire, quoted } = cases().find((c) => c.provider.name === name)!;
    const fqdn = `_acme-challenge.${zone.domain}`;
    const tricky = 'with "quotes" and \\ and ; spaces';
    await provider.upsert(zone, fqdn, 'TXT', ['token-one', tricky]);
    expect((await provider.get(zone, fqdn, 'TXT')).sort()).toEqual(['token-one', tricky].sort());
    const wireForm = quoted ? '"with \\"quotes\\" and \\\\ and ; spaces"' : tricky;
    expect(wire(fqdn, 'TXT')).toContain(wireForm);

    await provider.upsert(zone, fqdn, 'TXT', ['token-two']);
    expect(await provider.get(zone, fqdn, 'TXT')).toEqual(['token-two']);
    expect(wire(fqdn, 'TXT')).toEqual([quoted ? '"token-two"' : 'token-two']);

    // Longer than one 255-character string: Route 53 and Cloudflare take it as several quoted strings.
    const long = 'x'.repeat(300);
    await provider.upsert(zone, fqdn, 'TXT', [long]);
    expect(await provider.get(zone, fqdn, 'TXT')).toEqual([long]);

    await provider.remove(zone, fqdn, 'TXT');
    await provider.remove(zone, fqdn, 'TXT');
    expect(await provider.get(zone, fqdn, 'TXT')).toEqual([]);
    expect(wire(fqdn, 'TXT')).toEqual([]);
  });

  it.each(['cloudflare', 'digitalocean', 'route53'])('%s: A records grow, shrink and go, in a zone that is a parent of the domain', async (name) => {
    const { provider, zone: base, wire } = cases().find((c) => c.provider.name === name)!;
    const zone: DnsZone = { ...base, domain: `sub.${base.zoneName}` };
    const fqdn = `app.sub.${base.zoneName}`;
    await provider.upsert(zone, fqdn, 'A', ['192.0.2.1']);
    await provider.upsert(zone, fqdn, 'A', ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect((await provider.get(zone, fqdn, 'A')).sort()).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    await provider.upsert(zone, fqdn, 'A', ['192.0.2.9']);
    expect(wire(fqdn, 'A')).toEqual(['192.0.2.9']);
    await provider.remove(zone, fqdn, 'A');
    expect(wire(fqdn, 'A')).toEqual([]);
    expect(await provider.get(zone, 'never.sub.' + base.zoneName, 'A')).toEqual([]);
  });

  it.each(['cloudflare', 'digitalocean', 'route53'])('%s: a refused write is a 400 naming the API\'s reason', async (name) => {
    const { provider, zone } = cases().find((c) => c.provider.name === name)!;
    await expect(provider.upsert(zone, `bad.${zone.domain}`, 'A', ['not-an-address'])).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/refused the request: .*(IPv4|IP address)/),
    });
  });

  it('cloudflare: with defaultProxyStatus, A records are proxied (automatic TTL) and TXT records are not', async () => {
    const provider = new CloudflareProvider(jsonApi('Cloudflare', cf.url));
    const zone = { domain: 'cf.test', zoneName: 'cf.test', config: { token: cf.token, defaultProxyStatus: true } };
    await provider.upsert(zone, 'proxied.cf.test', 'A', ['192.0.2.7']);
    await provider.upsert(zone, '_acme-challenge.cf.test', 'TXT', ['v']);
    expect(cf.records('proxied.cf.test', 'A')).toEqual([{ content: '192.0.2.7', proxied: true, ttl: 1 }]);
    expect(cf.records('_acme-challenge.cf.test', 'TXT')).toEqual([{ content: '"v"', proxied: false, ttl: 300 }]);
    // Turning the proxy off rewrites the record in place.
    await provider.upsert({ ...zone, config: { token: cf.token } }, 'proxied.cf.test', 'A', ['192.0.2.7']);
    expect(cf.records('proxied.cf.test', 'A')).toEqual([{ content: '192.0.2.7', proxied: false, ttl: 300 }]);
    await provider.remove(zone, 'proxied.cf.test', 'A');
    await provider.remove(zone, '_acme-challenge.cf.test', 'TXT');
  });

  it('an API that does not answer is a 400 "could not reach"', async () => {
    // A port nothing listens on (fetch refuses some low ports outright, such as 1).
    const dead = `http://127.0.0.1:${await freePort()}`;
    const zone = (config: Record<string, unknown>) => ({ domain: 'x.test', zoneName: 'x.test', config });
    await expect(new CloudflareProvider(jsonApi('Cloudflare', `${dead}/client/v4`)).verify(zone({ token: 't0ken' }))).rejects.toMatchObject({
      status: 400, message: expect.stringMatching(/could not reach the Cloudflare API at http:\/\/127\.0\.0\.1:\d+\/client\/v4 \(ECONNREFUSED\)/),
    });
    await expect(new DigitalOceanProvider(jsonApi('DigitalOcean', `${dead}/v2`)).verify(zone({ token: 't0ken' }))).rejects.toMatchObject({
      status: 400, message: expect.stringMatching(/could not reach the DigitalOcean API/),
    });
    await expect(new Route53Provider({ endpoint: dead, timeoutSecs: 2 }).verify(zone({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 's3cret' }))).rejects.toMatchObject({
      status: 400, message: expect.stringMatching(/could not reach Route 53 at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/),
    });
  });
});
