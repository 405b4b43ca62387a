import fs from 'node:fs';
import { Option, type Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { UsageError } from '../client/errors';
import { printJson, say } from '../ui/io';
import { confirmed } from '../ui/prompt';
import { table } from '../ui/table';
import { collect, common, type CommonOptions } from './options';

const PROVIDERS = ['noop', 'manual', 'wildcard', 'rfc2136', 'powerdns', 'cloudflare', 'digitalocean', 'route53'] as const;
type Provider = (typeof PROVIDERS)[number];

interface ConfigOptions extends CommonOptions {
  provider: Provider;
  zone?: string;
  config?: string[];
  configFile?: string;
}

/** `domains …`: the domains apps install at, and the DNS provider that keeps their records. */
export function registerDomainCommands(program: Command, ctx: Context): void {
  const domains = program.command('domains').description('manage the domains apps install at, and their DNS providers (admins; docs/domains.md)');
  const domainArg = ['<domain>', 'the domain, e.g. example.com'] as const;

  common(domains.command('list').description('list the domains and their DNS providers')).action((options: CommonOptions) =>
    ctx.run(async () => {
      const { domains: list } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/domains'));
      if (options.json) return printJson(ctx.io, list);
      if (!list.length) return say(ctx.io, 'No domains. Add one with berth domains add <domain>.');
      say(ctx.io, table(['DOMAIN', 'ZONE', 'PROVIDER', 'TLS'], list.map((d) => [d.domain, d.zoneName, d.provider, d.tlsConfig.provider])));
    }),
  );

  common(domains.command('get').argument(...domainArg).description("show a domain's settings (secrets hidden)")).action((domain: string, options: CommonOptions) =>
    ctx.run(async () => {
      const found = await unwrap(ctx.session({ profile: options.profile }).api.GET('/domains/{domain}', { params: { path: { domain } } }));
      if (options.json) return printJson(ctx.io, found);
      const config = Object.entries(found.config).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      say(ctx.io, table(['FIELD', 'VALUE'], [
        ['domain', found.domain], ['zone', found.zoneName], ['provider', found.provider],
        ['config', config.join(' ') || '(none)'], ['tls', found.tlsConfig.provider],
      ]));
    }),
  );

  common(configFlags(domains.command('add').argument(...domainArg).description('add a domain; providers with a server are checked with a live call'))).action(
    (domain: string, options: ConfigOptions) =>
      ctx.run(async () => {
        const body = { domain, provider: options.provider, config: readConfig(options), ...(options.zone ? { zoneName: options.zone } : {}) };
        const added = await unwrap(ctx.session({ profile: options.profile }).api.POST('/domains', { body }));
        if (options.json) return printJson(ctx.io, added);
        say(ctx.io, `Added ${added.domain} (${added.provider}).`);
      }),
  );

  common(configFlags(domains.command('update').argument(...domainArg).description("change a domain's DNS provider or its settings (checked like an add)"))).action(
    (domain: string, options: ConfigOptions) =>
      ctx.run(async () => {
        const body = { provider: options.provider, config: readConfig(options), ...(options.zone ? { zoneName: options.zone } : {}) };
        await unwrap(ctx.session({ profile: options.profile }).api.PUT('/domains/{domain}', { params: { path: { domain } }, body }));
        if (options.json) return printJson(ctx.io, { domain, updated: true });
        say(ctx.io, `Updated ${domain}.`);
      }),
  );

  common(domains.command('remove').argument(...domainArg).description('remove a domain no app uses').option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')).action(
    (domain: string, options: CommonOptions & { yes?: boolean }) =>
      ctx.run(async () => {
        if (!(await confirmed(ctx.io, options.yes, `Remove domain ${domain}?`, 'pass --yes to remove a domain when stdin is not a terminal'))) return say(ctx.io, 'Nothing was removed.');
        await unwrap(ctx.session({ profile: options.profile }).api.DELETE('/domains/{domain}', { params: { path: { domain } } }));
        if (options.json) return printJson(ctx.io, { domain, removed: true });
        say(ctx.io, `Removed ${domain}.`);
      }),
  );

  common(
    domains.command('check').argument(...domainArg).description('ask DNS where a name at the domain points (real queries)').option('--subdomain <name>', 'the name to check, e.g. blog (default: the domain itself)'),
  ).action((domain: string, options: CommonOptions & { subdomain?: string }) =>
    ctx.run(async () => {
      const query = options.subdomain ? { subdomain: options.subdomain } : {};
      const check = await unwrap(ctx.session({ profile: options.profile }).api.GET('/domains/{domain}/dns_check', { params: { path: { domain }, query } }));
      if (options.json) return printJson(ctx.io, check);
      const found = check.records.length ? check.records.join(', ') : 'no A records';
      say(ctx.io, `${check.fqdn}: ${found}; this box is ${check.ip}.${check.needsOverwrite ? ' Installing there needs the API\'s overwriteDns.' : ''}`);
    }),
  );
}

function configFlags(command: Command): Command {
  return command
    .addOption(new Option('--provider <name>', 'the DNS provider').choices(PROVIDERS).default('noop'))
    .option('--zone <zone>', 'the DNS zone, when it is a parent of the domain')
    .option('--config <key=value>', "a provider setting, e.g. server=ns1.example.com (repeat for more; docs/domains.md lists each provider's)", collect)
    .option('--config-file <file>', 'the provider settings as a JSON object (keeps secrets out of the process list)');
}

/** The provider's settings from --config-file (JSON) and --config pairs; pairs win. Numbers and true/false keep their type. */
function readConfig(options: ConfigOptions): Record<string, unknown> {
  let config: Record<string, unknown> = {};
  if (options.configFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(options.configFile, 'utf8'));
    } catch (err) {
      throw new UsageError(`--config-file ${options.configFile}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--config-file must hold a JSON object');
    config = parsed as Record<string, unknown>;
  }
  for (const pair of options.config ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--config needs KEY=VALUE, got "${pair}"`);
    const value = pair.slice(at + 1);
    config[pair.slice(0, at)] = /^\d+$/.test(value) ? Number(value) : value === 'true' || value === 'false' ? value === 'true' : value;
  }
  return config;
}
