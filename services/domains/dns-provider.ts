/** The zone a provider works in, with the provider's stored settings (secrets included). */
export interface DnsZone {
  domain: string;
  zoneName: string;
  config: Record<string, unknown>;
}

/**
 * One way of managing a domain's DNS. Names are fully qualified without the trailing dot; values are what the
 * record holds (an IPv4 address for A). Providers throw BerthError (400 for a bad config or a refusal by the
 * server, naming the server's reason), never a message that contains a secret.
 */
export interface DnsProvider {
  readonly name: string;
  /** Keys of `config` that are secrets: replaced with SECRET_PLACEHOLDER in responses, never logged. */
  readonly secretKeys: readonly string[];
  /** True for providers that never write records: no A records for apps, and no DNS-01 (wildcard certificates). */
  readonly passive?: boolean;
  /** Checks the settings (and, for providers that talk to a server, that it accepts them); returns them normalised. */
  verify(zone: DnsZone): Promise<Record<string, unknown>>;
  /** Makes `fqdn` `type` hold exactly `values`. */
  upsert(zone: DnsZone, fqdn: string, type: string, values: string[]): Promise<void>;
  remove(zone: DnsZone, fqdn: string, type: string): Promise<void>;
  /** What the provider's server holds now ([] when nothing, or when the provider cannot tell). */
  get(zone: DnsZone, fqdn: string, type: string): Promise<string[]>;
}

/** Where `verify` writes and removes a TXT record, to prove the settings may change the zone. */
export const PROBE_LABEL = '_berth-verify';

/** Writes and removes `_berth-verify.<domain>` TXT: settings that may read the zone but not change it fail here. */
export async function proveWrites(provider: DnsProvider, zone: DnsZone): Promise<void> {
  const probe = `${PROBE_LABEL}.${zone.domain}`;
  await provider.upsert(zone, probe, 'TXT', ['berth']);
  await provider.remove(zone, probe, 'TXT');
}

/** What a client sees instead of a secret, and may send back to keep the stored one (as Cloudron's `<hidden>`). */
export const SECRET_PLACEHOLDER = '<hidden>';

/**
 * noop (Berth never touches DNS), manual (the admin creates records by hand) and wildcard (a `*` record the admin
 * made once already points at the box): none of them writes records, and none keeps settings.
 */
export class PassiveProvider implements DnsProvider {
  readonly secretKeys = [];
  readonly passive = true;
  constructor(readonly name: 'noop' | 'manual' | 'wildcard') {}

  async verify(): Promise<Record<string, unknown>> {
    return {};
  }
  async upsert(): Promise<void> {}
  async remove(): Promise<void> {}
  async get(): Promise<string[]> {
    return [];
  }
}

/** The providers a box offers, by name. */
export class DnsProviders {
  private readonly byName: Map<string, DnsProvider>;
  constructor(providers: DnsProvider[]) {
    this.byName = new Map(providers.map((p) => [p.name, p]));
  }
  get(name: string): DnsProvider | undefined {
    return this.byName.get(name);
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
}
