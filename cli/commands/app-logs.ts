import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { resolveApp } from '../client/resolve';
import { readEvents } from '../client/sse';
import { common, integer, type CommonOptions } from './options';

interface LogsOptions extends CommonOptions {
  follow?: boolean;
  lines?: number;
}

/** `apps logs <app> [-f]`: the container's output, or its live stream (server-sent events). */
export function registerAppLogs(apps: Command, ctx: Context): void {
  common(
    apps
      .command('logs')
      .argument('<app>', "the app's id, address or location")
      .description("print an app's stdout and stderr, oldest first (-f: then keep printing new lines until Ctrl-C)")
      .option('-f, --follow', 'keep printing new lines as the app writes them')
      .option('-n, --lines <n>', 'how many of the last lines to print (default: 100, or 10 with --follow)', integer(0)),
  )
    .addHelpText('after', '\nLines are "<ISO time> <message>"; with --json, one JSON object per line: {"realtimeTimestamp","message","source","stream"}.')
    .action((ref: string, options: LogsOptions) =>
      ctx.run(async () => {
        const session = ctx.session({ profile: options.profile });
        const app = await resolveApp(session.api, ref);
        const path = { appId: app.id };
        if (!options.follow) {
          const text = await unwrap(
            session.api.GET('/apps/{appId}/logs', { params: { path, query: { lines: Math.max(1, options.lines ?? 100), format: options.json ? 'json' : 'plain' } }, parseAs: 'text' }),
          );
          ctx.io.stdout.write(text);
          return;
        }
        const body = await unwrap(session.api.GET('/apps/{appId}/logstream', { params: { path, query: { lines: options.lines ?? 10 } }, parseAs: 'stream' }));
        for await (const event of readEvents(body as ReadableStream<Uint8Array>)) {
          if (options.json) {
            ctx.io.stdout.write(`${event.data}\n`);
            continue;
          }
          const entry = JSON.parse(event.data) as { realtimeTimestamp: number; message: string };
          ctx.io.stdout.write(`${new Date(entry.realtimeTimestamp).toISOString()} ${entry.message}\n`);
        }
      }),
    );
}
