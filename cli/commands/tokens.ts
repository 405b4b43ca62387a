import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { ApiError } from '../client/errors';
import { when } from '../ui/format';
import { printJson, say } from '../ui/io';
import { table } from '../ui/table';
import { common, pointInTime, type CommonOptions } from './options';

/** `tokens …`: the caller's access tokens. */
export function registerTokenCommands(program: Command, ctx: Context): void {
  const tokens = program.command('tokens').description('manage your access tokens (for scripts: berth login --token, or BERTH_TOKEN)');

  common(tokens.command('list').description('list your tokens (never their secrets)')).action((options: CommonOptions) =>
    ctx.run(async () => {
      const { tokens: list } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/tokens'));
      if (options.json) return printJson(ctx.io, list);
      const kind = (clientId: string) => (clientId === 'cid-api' ? 'api' : clientId === 'cid-webadmin' ? 'login' : clientId);
      say(
        ctx.io,
        table(
          ['ID', 'NAME', 'KIND', 'SCOPE', 'EXPIRES', 'LAST USED', 'CREATED'],
          list.map((t) => [t.id, t.name, kind(t.clientId), t.scope['*'] === 'r' ? 'read-only' : 'read-write', t.expires ? when(t.expires) : 'never', when(t.lastUsedAt), when(t.creationTime)]),
        ),
      );
    }),
  );

  common(
    tokens
      .command('create')
      .argument('<name>', 'what the token is for, e.g. backup-script')
      .description('create an API token; its secret is shown once')
      .option('--read-only', 'the token may only read (every change answers 403)')
      .option('--expires <when>', 'when it stops working: 30d, 12h, or a date (default: never, until revoked)', pointInTime('ahead')),
  ).action((name: string, options: CommonOptions & { readOnly?: boolean; expires?: string }) =>
    ctx.run(async () => {
      const body = { name, scope: { '*': options.readOnly ? ('r' as const) : ('rw' as const) }, ...(options.expires ? { expiresAt: options.expires } : {}) };
      const token = await unwrap(ctx.session({ profile: options.profile }).api.POST('/tokens', { body }));
      if (options.json) return printJson(ctx.io, token);
      say(ctx.io, `Created token ${token.id} (${token.name}). Its secret, shown only now:\n${token.accessToken}`);
    }),
  );

  common(tokens.command('revoke').argument('<token>', 'the token id (tid-…) or name').description('revoke a token: it stops working at once')).action((ref: string, options: CommonOptions) =>
    ctx.run(async () => {
      const { api } = ctx.session({ profile: options.profile });
      let id = ref;
      if (!ref.startsWith('tid-')) {
        const { tokens: list } = await unwrap(api.GET('/tokens'));
        const named = list.filter((t) => t.name === ref);
        if (named.length > 1) throw new ApiError(`more than one token is called "${ref}": use its id (berth tokens list)`, 409, 'AMBIGUOUS');
        if (!named.length) throw new ApiError(`no token with id or name "${ref}"`, 404, 'NOT_FOUND');
        id = named[0].id;
      }
      await unwrap(api.DELETE('/tokens/{tokenId}', { params: { path: { tokenId: id } } }));
      if (options.json) return printJson(ctx.io, { id, revoked: true });
      say(ctx.io, `Revoked token ${id}.`);
    }),
  );
}
