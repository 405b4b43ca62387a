import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { when } from '../ui/format';
import { printJson, say } from '../ui/io';
import { table } from '../ui/table';
import { common, paged, type CommonOptions, type PageOptions } from './options';

/** `notifications …`: what needs an admin (failed certificate renewals, overdue backups). */
export function registerNotificationCommands(program: Command, ctx: Context): void {
  const notifications = program.command('notifications').description('what needs an admin: certificates not renewed, backups failing (admins)');

  paged(
    common(notifications.command('list').description('list notifications, newest first (unacknowledged only unless --all)').option('--all', 'acknowledged ones too')),
    'notifications',
  ).action((options: CommonOptions & PageOptions & { all?: boolean }) =>
    ctx.run(async () => {
      const query = { page: options.page, per_page: options.perPage, ...(options.all ? {} : { acknowledged: false }) };
      const { notifications: list } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/notifications', { params: { query } }));
      if (options.json) return printJson(ctx.io, list);
      if (!list.length) return say(ctx.io, options.all ? 'No notifications.' : 'No unacknowledged notifications.');
      say(ctx.io, table(['ID', 'TIME', 'ACK', 'TITLE'], list.map((n) => [n.id, when(n.creationTime), n.acknowledged ? 'yes' : 'no', n.title])));
    }),
  );

  common(notifications.command('show').argument('<id>', 'the notification id (ntf-…)').description('show one notification with its whole message')).action((id: string, options: CommonOptions) =>
    ctx.run(async () => {
      const n = await unwrap(ctx.session({ profile: options.profile }).api.GET('/notifications/{notificationId}', { params: { path: { notificationId: id } } }));
      if (options.json) return printJson(ctx.io, n);
      say(ctx.io, `${n.title}\n${when(n.creationTime)}${n.acknowledged ? ' (acknowledged)' : ''}\n\n${n.message}`);
    }),
  );

  common(notifications.command('ack').argument('<id...>', 'notification ids (ntf-…)').description('acknowledge notifications').option('--undo', 'mark them unacknowledged again')).action(
    (ids: string[], options: CommonOptions & { undo?: boolean }) =>
      ctx.run(async () => {
        const { api } = ctx.session({ profile: options.profile });
        for (const id of ids) {
          await unwrap(api.POST('/notifications/{notificationId}', { params: { path: { notificationId: id } }, body: { acknowledged: !options.undo } }));
        }
        if (options.json) return printJson(ctx.io, { ids, acknowledged: !options.undo });
        say(ctx.io, `${options.undo ? 'Marked unacknowledged' : 'Acknowledged'}: ${ids.join(', ')}.`);
      }),
  );
}
