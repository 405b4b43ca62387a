import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import type { Event } from '../client/types';
import { when } from '../ui/format';
import { printJson, say } from '../ui/io';
import { table } from '../ui/table';
import { common, paged, pointInTime, type CommonOptions, type PageOptions } from './options';

interface EventlogOptions extends CommonOptions, PageOptions {
  action?: string;
  search?: string;
  from?: string;
  to?: string;
}

/** `eventlog`: the audit log, newest first. */
export function registerEventlogCommand(program: Command, ctx: Context): void {
  paged(
    common(
      program
        .command('eventlog')
        .description('show the audit log, newest first: who did what, when, from where (admins)')
        .option('--action <actions>', 'only these actions, comma separated (e.g. app.install,user.login.failed)')
        .option('--search <text>', 'only events whose target or data contains this')
        .option('--from <time>', 'only events at or after this time: a date, an ISO time, or 7d/12h ago', pointInTime('ago'))
        .option('--to <time>', 'only events before this time: a date, an ISO time, or 7d/12h ago', pointInTime('ago')),
    ),
    'events',
  ).action((options: EventlogOptions) =>
    ctx.run(async () => {
      const { api } = ctx.session({ profile: options.profile });
      const query = { action: options.action, search: options.search, from: options.from, to: options.to, page: options.page, per_page: options.perPage };
      const { eventlogs } = await unwrap(api.GET('/eventlog', { params: { query } }));
      if (options.json) return printJson(ctx.io, eventlogs);
      if (!eventlogs.length) return say(ctx.io, 'No events.');
      // Names for people where the caller may list users; ids otherwise.
      const users = await api.GET('/users', { params: { query: { per_page: 1000 } } });
      const names = new Map((users.data?.users ?? []).map((u) => [u.id, u.username ?? u.email]));
      const by = (e: Event) => (e.source.type === 'system' ? 'system' : e.source.userId ? (names.get(e.source.userId) ?? e.source.userId) : '');
      say(ctx.io, table(['TIME', 'ACTION', 'BY', 'TARGET', 'FROM'], eventlogs.map((e) => [when(e.creationTime), e.action, by(e), e.target, e.source.ip])));
    }),
  );
}
