import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { UsageError } from '../client/errors';
import { resolveGroup, resolveUser } from '../client/resolve';
import { printJson, say } from '../ui/io';
import { table } from '../ui/table';
import { collect, common, type CommonOptions } from './options';

interface MembersOptions extends CommonOptions {
  set?: string[];
  add?: string[];
  remove?: string[];
}

/** `groups …`: groups of users, used to restrict who sees an app. */
export function registerGroupCommands(program: Command, ctx: Context): void {
  const groups = program.command('groups').description('manage groups of users (admins)');
  const groupArg = ['<group>', 'the group id or name'] as const;

  common(groups.command('list').description('list groups and how many members each has')).action((options: CommonOptions) =>
    ctx.run(async () => {
      const { groups: list } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/groups'));
      if (options.json) return printJson(ctx.io, list);
      if (!list.length) return say(ctx.io, 'No groups.');
      say(ctx.io, table(['ID', 'NAME', 'MEMBERS'], list.map((g) => [g.id, g.name, g.userIds.length])));
    }),
  );

  common(groups.command('add').argument('<name>', "the group's name").description('add a group')).action((name: string, options: CommonOptions) =>
    ctx.run(async () => {
      const group = await unwrap(ctx.session({ profile: options.profile }).api.POST('/groups', { body: { name } }));
      if (options.json) return printJson(ctx.io, group);
      say(ctx.io, `Added group ${group.name} (${group.id}).`);
    }),
  );

  common(groups.command('remove').argument(...groupArg).description('delete a group (its users stay)')).action((ref: string, options: CommonOptions) =>
    ctx.run(async () => {
      const { api } = ctx.session({ profile: options.profile });
      const group = await resolveGroup(api, ref);
      await unwrap(api.DELETE('/groups/{groupId}', { params: { path: { groupId: group.id } } }));
      if (options.json) return printJson(ctx.io, { id: group.id, removed: true });
      say(ctx.io, `Deleted group ${group.name}.`);
    }),
  );

  common(
    groups
      .command('members')
      .argument(...groupArg)
      .description("show a group's members, or change them with --add, --remove or --set")
      .option('--add <user>', 'add this user (id, username or email; repeat for more)', collect)
      .option('--remove <user>', 'remove this user (repeat for more)', collect)
      .option('--set <user>', 'make the members exactly these users (repeat for more)', collect),
  ).action((ref: string, options: MembersOptions) =>
    ctx.run(async () => {
      if (options.set && (options.add || options.remove)) throw new UsageError('give --set, or --add/--remove, not both');
      const { api } = ctx.session({ profile: options.profile });
      let group = await resolveGroup(api, ref);
      if (options.set || options.add || options.remove) {
        const ids = async (refs: string[] = []) => Promise.all(refs.map(async (r) => (await resolveUser(api, r)).id));
        const removed = new Set(await ids(options.remove));
        const base = options.set ? await ids(options.set) : [...group.userIds, ...(await ids(options.add))];
        const userIds = [...new Set(base)].filter((id) => !removed.has(id));
        group = await unwrap(api.PUT('/groups/{groupId}/members', { params: { path: { groupId: group.id } }, body: { userIds } }));
      }
      if (options.json) return printJson(ctx.io, group);
      if (!group.userIds.length) return say(ctx.io, `Group ${group.name} has no members.`);
      const { users } = await unwrap(api.GET('/users', { params: { query: { per_page: 1000 } } }));
      const byId = new Map(users.map((u) => [u.id, u]));
      say(ctx.io, table(['ID', 'USERNAME', 'EMAIL'], group.userIds.map((id) => [id, byId.get(id)?.username ?? '', byId.get(id)?.email ?? ''])));
    }),
  );
}
