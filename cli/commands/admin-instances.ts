import type { Command } from 'commander';
import type { Context } from '../context';
import { adminUnwrap, type AdminClient, type InstanceResource, type Quotas } from '../client/admin-api';
import { UsageError } from '../client/errors';
import { bytes, when } from '../ui/format';
import { note, printJson, say } from '../ui/io';
import { record, table } from '../ui/table';
import { adminCommon, applyQuotas, DOMAIN_ARG, quotaFlags, quotasFrom, ttl, type AdminOptions, type QuotaOptions } from './admin-options';
import { integer } from './options';

interface ListOptions extends AdminOptions {
  limit?: number;
  skip?: number;
}

interface CreateOptions extends AdminOptions, QuotaOptions {
  email: string;
  locale?: string;
  context?: string;
}

interface UpdateOptions extends AdminOptions, QuotaOptions {
  email?: string;
  locale?: string;
  context?: string;
  blocked?: string;
  unblock?: boolean;
}

interface TokenOptions extends AdminOptions {
  ttl?: number;
  readOnly?: boolean;
  user?: string;
}

/** `admin instances list|create|get|update|token`; delete and export, which are tasks, live in admin-instance-tasks.ts. */
export function registerInstanceCommands(instances: Command, ctx: Context): void {
  adminCommon(
    instances
      .command('list')
      .description('list the instances, oldest first (the default instance, with no domain, too)')
      .option('--limit <n>', 'at most this many (1 to 1000, default 100)', integer(1))
      .option('--skip <n>', 'skip this many first (for the next page)', integer(0)),
  ).action((options: ListOptions) =>
    ctx.run(async () => {
      if (options.limit !== undefined && options.limit > 1000) throw new UsageError('--limit is at most 1000');
      const { api } = await ctx.adminSession(options);
      const query = { 'page[limit]': options.limit, 'page[skip]': options.skip };
      const page = await adminUnwrap(api.GET('/instances', { params: { query } }));
      if (options.json) return printJson(ctx.io, page);
      if (!page.data.length) return say(ctx.io, page.meta.count ? `No instances past ${options.skip ?? 0} (there are ${page.meta.count}).` : 'No instances.');
      say(ctx.io, table(['DOMAIN', 'STATE', 'CONTEXT', 'QUOTAS', 'CREATED'], page.data.map((i) => [domainOf(i), state(i), i.attributes.context, quotas(i.attributes.quotas), when(i.attributes.created_at)])));
      const skip = options.skip ?? 0;
      if (skip + page.data.length < page.meta.count) note(ctx.io, `${skip + 1}–${skip + page.data.length} of ${page.meta.count}; the next ones: --skip ${skip + page.data.length}`);
    }),
  );

  quotaFlags(
    adminCommon(
      instances
        .command('create')
        .argument(...DOMAIN_ARG)
        .description("create an instance (a tenant) and invite its owner; prints the owner's invitation link, shown only once")
        .requiredOption('--email <email>', "the instance's contact address and its owner's email")
        .option('--locale <tag>', 'a language tag such as en or fr-CA (default en)')
        .option('--context <name>', 'a context from BERTH_CONTEXTS_FILE (default "default")'),
    ),
  ).action((domain: string, options: CreateOptions) =>
    ctx.run(async () => {
      const { api } = await ctx.adminSession(options);
      const changes = quotasFrom(options);
      const body = { domain, email: options.email, locale: options.locale, context: options.context, quotas: changes && applyQuotas({}, changes) };
      const created = await adminUnwrap(api.POST('/instances', { body }));
      if (options.json) return printJson(ctx.io, created);
      say(ctx.io, `Created instance ${domainOf(created.data)} (${created.data.id}), owner ${options.email} (${created.meta.owner_id}).`);
      say(ctx.io, `The owner chooses a username and password with this link (valid 7 days, shown only now):\n${created.meta.invite_link}`);
    }),
  );

  adminCommon(instances.command('get').argument(...DOMAIN_ARG).description('show an instance: state, contact, locale, context, quotas')).action((domain: string, options: AdminOptions) =>
    ctx.run(async () => {
      const { api } = await ctx.adminSession(options);
      const found = await adminUnwrap(api.GET('/instances/{domain}', { params: { path: { domain } } }));
      if (options.json) return printJson(ctx.io, found);
      say(ctx.io, describe(found.data));
    }),
  );

  quotaFlags(
    adminCommon(
      instances
        .command('update')
        .argument(...DOMAIN_ARG)
        .description('change an instance: contact address, locale, context, quotas; block or unblock it')
        .option('--email <email>', "the contact address (no user's email changes)")
        .option('--locale <tag>', 'a language tag such as en or fr-CA')
        .option('--context <name>', 'a context from BERTH_CONTEXTS_FILE')
        .option('--blocked <reason>', 'block it: its box API refuses every request (402 for PAYMENT_FAILED, 503 for any other reason)')
        .option('--unblock', 'lift a block'),
    ),
  )
    .addHelpText('after', '\nQuota flags change only the quotas given; the others stay (none removes one).')
    .action((domain: string, options: UpdateOptions) =>
      ctx.run(async () => {
        if (options.blocked !== undefined && options.unblock) throw new UsageError('give --blocked or --unblock, not both');
        const body: { email?: string; locale?: string; context?: string; quotas?: Quotas; blocked?: boolean; blocking_reason?: string } = {
          email: options.email,
          locale: options.locale,
          context: options.context,
        };
        if (options.blocked !== undefined) Object.assign(body, { blocked: true, blocking_reason: options.blocked });
        if (options.unblock) body.blocked = false;
        const changes = quotasFrom(options);
        if (!changes && Object.values(body).every((v) => v === undefined)) throw new UsageError('nothing to change: give at least one flag (berth admin instances update --help)');
        const { api } = await ctx.adminSession(options);
        const path = { domain };
        // The API replaces the whole set of quotas; a person changing one expects the others to stay.
        if (changes) body.quotas = applyQuotas((await adminUnwrap(api.GET('/instances/{domain}', { params: { path } }))).data.attributes.quotas, changes);
        const updated = await adminUnwrap(api.PATCH('/instances/{domain}', { params: { path }, body }));
        if (options.json) return printJson(ctx.io, updated);
        say(ctx.io, describe(updated.data));
      }),
    );

  adminCommon(
    instances
      .command('token')
      .argument(...DOMAIN_ARG)
      .description("mint a short-lived box API token acting in the instance as its owner; prints only the token")
      .option('--ttl <duration>', 'how long it works: seconds, or 30m, 12h, 1d (60 seconds to 24 hours; default 1h)', ttl)
      .option('--read-only', 'the token may only read')
      .option('--user <id>', 'act as this user (uid-…) instead of the owner'),
  )
    .addHelpText('after', "\nUse it as: BERTH_URL=https://acme.example BERTH_TOKEN=$(berth admin instances token acme.example) berth apps list\nMinting is recorded in the instance's audit log.")
    .action((domain: string, options: TokenOptions) =>
      ctx.run(async () => {
        const { api } = await ctx.adminSession(options);
        const body = { expires_in: options.ttl, read_only: options.readOnly, user_id: options.user };
        const minted = await adminUnwrap(api.POST('/instances/{domain}/token', { params: { path: { domain } }, body }));
        if (options.json) return printJson(ctx.io, minted);
        say(ctx.io, minted.token);
        note(ctx.io, `Token for ${domain} acting as ${minted.user_id}${options.readOnly ? ', read-only' : ''}, until ${when(minted.expires_at)} UTC. Use it with BERTH_TOKEN.`);
      }),
    );
}

/** Looks an instance up, for commands that need it to exist before they act. */
export async function getInstance(api: AdminClient, domain: string): Promise<InstanceResource> {
  return (await adminUnwrap(api.GET('/instances/{domain}', { params: { path: { domain } } }))).data;
}

const domainOf = (i: InstanceResource) => i.attributes.domain ?? (i.attributes.is_default ? '(default)' : i.id);

function state(i: InstanceResource): string {
  if (i.attributes.deleting) return 'deleting';
  if (i.attributes.blocked) return `blocked (${i.attributes.blocking_reason ?? 'UNKNOWN'})`;
  return 'active';
}

function quotas(q: Quotas): string {
  // bytes() shows 0 as "default" (an app's memory limit); a quota of 0 means nothing is allowed.
  const size = (n: number) => (n === 0 ? '0' : bytes(n));
  const parts = [
    q.apps !== undefined && q.apps !== null ? `apps ${q.apps}` : '',
    q.memory !== undefined && q.memory !== null ? `memory ${size(q.memory)}` : '',
    q.disk !== undefined && q.disk !== null ? `disk ${size(q.disk)}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

function describe(i: InstanceResource): string {
  const a = i.attributes;
  return record([
    ['Domain', domainOf(i)],
    ['ID', i.id],
    ['State', state(i)],
    ['Email', a.email],
    ['Locale', a.locale],
    ['Context', a.context],
    ['Quotas', quotas(a.quotas)],
    ['Created', when(a.created_at)],
    ['Updated', when(a.updated_at)],
  ]);
}
