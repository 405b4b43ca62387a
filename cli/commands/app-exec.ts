import type { Command } from 'commander';
import type { Context } from '../context';
import { execInApp } from '../client/exec';
import { resolveApp } from '../client/resolve';

interface ExecOptions {
  profile?: string;
  tty?: boolean;
}

/** `apps exec [--tty] <app> [-- command…]`: a command in the app's container, wired to this terminal. */
export function registerAppExec(apps: Command, ctx: Context): void {
  apps
    .command('exec')
    .argument('<app>', "the app's id, address or location")
    .argument('[command...]', 'the command and its arguments, after -- (default: /bin/sh)')
    .description("run a command in an app's container; stdin, stdout and stderr are wired through and its exit code is berth's")
    .option('-t, --tty', 'give the command a terminal (for an interactive shell); stdin then goes in raw')
    .option('--profile <name>', 'the saved login to use (default: $BERTH_PROFILE, else "default")')
    .passThroughOptions()
    .addHelpText(
      'after',
      [
        '',
        "Flags go before the app; everything after the app is the command. Use -- when the command has flags of its own.",
        'Examples:',
        '  berth apps exec --tty site.example.com                 # a shell',
        "  berth apps exec site.example.com -- sh -c 'ls -l /app/data'",
        '  echo hello | berth apps exec site.example.com -- sh -c "cat > /app/data/hello.txt"',
      ].join('\n'),
    )
    .action((ref: string, command: string[], options: ExecOptions) =>
      ctx.run(async () => {
        const cmd = command[0] === '--' ? command.slice(1) : command;
        const session = ctx.session({ profile: options.profile });
        const app = await resolveApp(session.api, ref);
        return execInApp(ctx.io, session, app.id, { cmd, tty: Boolean(options.tty) });
      }),
    );
}
