import { DnsChallenges } from '../../services/certificates/dns-challenges';
import { DnsProviders, PassiveProvider, type DnsProvider } from '../../services/domains/dns-provider';
import type { Domain } from '../../services/domains/domain-repo';
import { Rfc2136Provider } from '../../services/domains/rfc2136-provider';
import { startBind, type TestBind } from '../helpers/bind';

jest.setTimeout(60_000);

/** DNS-01's TXT records through a provider, and the wait until the configured resolvers (a real BIND) see them. */
describe('DNS-01 challenge records', () => {
  let bind: TestBind;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  /** Accepts every write and keeps none: the record never becomes visible. */
  const blackHole: DnsProvider = { name: 'blackhole', secretKeys: [], verify: async () => ({}), upsert: async () => undefined, remove: async () => undefined, get: async () => [] };
  const domain = (provider: string): Domain => ({
    domain: 'chal.test', instanceId: 'i', zoneName: 'chal.test', provider, config: bind.config, tlsConfig: { provider: 'acme', wildcard: true },
    wellKnown: null, fallbackCertificate: { cert: '', key: '' }, createdAt: '', updatedAt: '',
  });
  let challenges: DnsChallenges;

  beforeAll(async () => {
    bind = await startBind('chal.test');
    const providers = new DnsProviders([new Rfc2136Provider({ nsupdate: 'nsupdate', timeoutSecs: 5 }), new PassiveProvider('manual'), blackHole]);
    challenges = new DnsChallenges({ providers, dnsServers: [`127.0.0.1:${bind.port}`], waitSecs: 1, pollMs: 100 });
  });

  afterAll(async () => {
    await bind?.stop();
  });

  it('publishes two values at one name, returns once the resolver sees both, and clears them', async () => {
    const records = challenges.of(domain('rfc2136'), log);
    await records.publish(new Map([['_acme-challenge.chal.test', ['first-value', 'second-value']]]));
    expect((await bind.txt('_acme-challenge.chal.test')).sort()).toEqual(['first-value', 'second-value']);
    expect(lines.join('\n')).toMatch(/the DNS resolvers see the TXT records/);
    await records.clear(['_acme-challenge.chal.test']);
    expect(await bind.txt('_acme-challenge.chal.test')).toEqual([]);
  });

  it('gives up after the bounded wait, naming the resolvers and what was missing', async () => {
    await expect(challenges.of(domain('blackhole'), log).publish(new Map([['_acme-challenge.chal.test', ['never']]])))
      .rejects.toThrow(`the TXT records were not visible to 127.0.0.1:${bind.port} within 1s (_acme-challenge.chal.test: 1 of 1 value(s) not seen yet)`);
  });

  it('refuses a provider that does not write records, and one the box does not offer', async () => {
    await expect(challenges.of(domain('manual'), log).publish(new Map([['_acme-challenge.chal.test', ['x']]]))).rejects.toThrow(/manual does not write records/);
    await expect(challenges.of(domain('gone'), log).publish(new Map([['_acme-challenge.chal.test', ['x']]]))).rejects.toThrow(/which this box does not offer/);
  });
});
