import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { UsageError } from '../client/errors';
import { resolveUser } from '../client/resolve';
import type { Role, User } from '../client/types';
import { printJson, say } from '../ui/io';
import { confirmed, readStdin } from '../ui/prompt';
import { record, table } from '../ui/table';
import { common, paged, type CommonOptions, type PageOptions } from './options';

const ROLES = ['owner', 'admin', 'usermanager', 'user'];

interface UserFields {
  email?: string;
  username?: string;
  displayName?: string;
  role?: string;
}

function role(value: string | undefined): Role | undefined {
  if (value === undefined) return undefined;
  if (!ROLES.includes(value)) throw new UsageError(`--role is one of ${ROLES.join(', ')}, got "${value}"`);
  return value as Role;
}

/** `users …`: the tenant's users, their roles and invitations. */
export function registerUserCommands(program: Command, ctx: Context): void {
  const users = program.command('users').description("manage the box's users (admins and usermanagers)");
  const userArg = ['<user>', 'the user id, username or email'] as const;

  const list = users.command('list').description('list users, by username').option('--search <text>', 'only users whose username, email or name contains this');
  paged(common(list), 'users').action((options: CommonOptions & PageOptions & { search?: string }) =>
    ctx.run(async () => {
      const query = { search: options.search, page: options.page, per_page: options.perPage };
      const { users: found } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/users', { params: { query } }));
      if (options.json) return printJson(ctx.io, found);
      if (!found.length) return say(ctx.io, 'No users.');
      say(ctx.io, table(['ID', 'USERNAME', 'EMAIL', 'NAME', 'ROLE', 'ACTIVE'], found.map((u) => [u.id, u.username ?? '(invited)', u.email, u.displayName, u.role, u.active ? 'yes' : 'no'])));
    }),
  );

  common(
    users
      .command('add')
      .description('add a user; without --username and a password they finish their account from an invitation (berth users invite)')
      .requiredOption('--email <email>', 'their email address')
      .option('--username <name>', 'their username (2–32 of a-z 0-9 . _ -)')
      .option('--display-name <name>', 'their full name')
      .option('--role <role>', `one of ${ROLES.join(', ')} (default user; at most your own)`)
      .option('--password-stdin', 'read their password from stdin'),
  ).action((options: CommonOptions & UserFields & { passwordStdin?: boolean }) =>
    ctx.run(async () => {
      const { api } = ctx.session({ profile: options.profile });
      const password = options.passwordStdin ? await readStdin(ctx.io) : undefined;
      const body = { email: options.email!, username: options.username, displayName: options.displayName, role: role(options.role), password };
      const user = await unwrap(api.POST('/users', { body }));
      if (options.json) return printJson(ctx.io, user);
      const next = user.username && password ? '' : ` Invite them with: berth users invite ${user.id}`;
      say(ctx.io, `Added ${user.username ?? user.email} (${user.id}, ${user.role}).${next}`);
    }),
  );

  common(
    users
      .command('update')
      .argument(...userArg)
      .description("change a user's email, username, name, role, or deactivate them")
      .option('--email <email>', 'a new email')
      .option('--username <name>', 'a username (only while they have none)')
      .option('--display-name <name>', 'a new full name')
      .option('--role <role>', `one of ${ROLES.join(', ')}`)
      .option('--active', 'reactivate the user')
      .option('--no-active', "deactivate the user: they cannot log in and their tokens stop working"),
  ).action((ref: string, options: CommonOptions & UserFields & { active?: boolean }) =>
    ctx.run(async () => {
      const body = {
        ...(options.email !== undefined ? { email: options.email } : {}),
        ...(options.username !== undefined ? { username: options.username } : {}),
        ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
        ...(options.role !== undefined ? { role: role(options.role) } : {}),
        ...(options.active !== undefined ? { active: options.active } : {}),
      };
      if (!Object.keys(body).length) throw new UsageError('nothing to change: give at least one of --email, --username, --display-name, --role, --active, --no-active');
      const { api } = ctx.session({ profile: options.profile });
      const user = await resolveUser(api, ref);
      const updated = await unwrap(api.POST('/users/{userId}', { params: { path: { userId: user.id } }, body }));
      if (options.json) return printJson(ctx.io, updated);
      say(ctx.io, describeUser(updated));
    }),
  );

  common(users.command('remove').argument(...userArg).description('delete a user: their tokens are revoked and they leave their groups').option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')).action(
    (ref: string, options: CommonOptions & { yes?: boolean }) =>
      ctx.run(async () => {
        const { api } = ctx.session({ profile: options.profile });
        const user = await resolveUser(api, ref);
        const name = user.username ?? user.email;
        if (!(await confirmed(ctx.io, options.yes, `Delete user ${name} (${user.id})?`, 'pass --yes to delete a user when stdin is not a terminal'))) return say(ctx.io, 'Nothing was deleted.');
        await unwrap(api.DELETE('/users/{userId}', { params: { path: { userId: user.id } } }));
        if (options.json) return printJson(ctx.io, { id: user.id, removed: true });
        say(ctx.io, `Deleted user ${name}.`);
      }),
  );

  common(
    users
      .command('invite')
      .argument(...userArg)
      .description('make a new invitation link for a user (the previous one stops working); --send mails it')
      .option('--send', 'mail the link to the user (needs BERTH_SMTP_URL on the box)'),
  ).action((ref: string, options: CommonOptions & { send?: boolean }) =>
    ctx.run(async () => {
      const { api } = ctx.session({ profile: options.profile });
      const user = await resolveUser(api, ref);
      const path = { userId: user.id };
      if (options.send) {
        const sent = await unwrap(api.POST('/users/{userId}/send_invite', { params: { path } }));
        if (options.json) return printJson(ctx.io, sent);
        return say(ctx.io, `Invitation mailed to ${user.email}.`);
      }
      const invite = await unwrap(api.POST('/users/{userId}/create_invite', { params: { path } }));
      if (options.json) return printJson(ctx.io, invite);
      say(ctx.io, `Invitation link for ${user.email} (valid 7 days, once):\n${invite.inviteLink}`);
    }),
  );
}

function describeUser(user: User): string {
  return record([
    ['ID', user.id],
    ['Username', user.username ?? '(not chosen yet)'],
    ['Email', user.email],
    ['Name', user.displayName],
    ['Role', user.role],
    ['Active', user.active ? 'yes' : 'no'],
    ['Groups', user.groupIds.join(', ')],
  ]);
}
