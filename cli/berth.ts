#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { version } from '../server/version';
import { createContext } from './context';
import { registerAdminCommands } from './commands/admin';
import { registerAppCommands } from './commands/apps';
import { registerBackupCommands } from './commands/backups';
import { registerCompletion } from './commands/completion';
import { registerDomainCommands } from './commands/domains';
import { registerEventlogCommand } from './commands/eventlog';
import { registerGroupCommands } from './commands/groups';
import { registerJobCommands } from './commands/jobs';
import { registerNotificationCommands } from './commands/notifications';
import { registerServerCommands } from './commands/server';
import { registerSessionCommands } from './commands/session';
import { registerTaskCommands } from './commands/tasks';
import { registerTokenCommands } from './commands/tokens';
import { registerUserCommands } from './commands/users';
import { exitQuietlyWhenPipeCloses } from './ui/closed-pipe';
import { processIo } from './ui/io';

const HELP_AFTER = `
Getting started:
  berth login https://my.example.com          # asks for your username and password
  berth apps catalogue                        # the apps the box can install
  berth domains add example.com --provider manual   # apps install at the domains you add
  berth apps install --appstore-id io.berth.staticweb --location site --domain example.com --wait
  berth apps list
  berth apps logs site.example.com -f
  berth apps exec site.example.com -- ls /app/data
  berth apps uninstall site.example.com
  berth jobs list                             # scheduled jobs; berth jobs run <name> --wait

Every client command takes --json (the API's JSON, for scripts) and --profile <name> (a saved login).
Environment: BERTH_URL and BERTH_TOKEN override the saved login; BERTH_PROFILE picks a profile;
BERTH_ALLOW_SELFSIGNED=1 accepts a self-signed certificate. Logins are saved in
$XDG_CONFIG_HOME/berth/config.json (default ~/.config/berth/config.json).
Operators: berth admin instances … and berth admin fsck talk to the admin API with no login or profile:
BERTH_ADMIN_URL (or --admin-url) and BERTH_ADMIN_PASSPHRASE (or --passphrase-stdin, or asked).
Exit codes: 0 done, 1 the operation (or the waited-for task) failed, 2 bad usage, 130 interrupted.
Run berth <command> --help for a command's flags; docs/cli.md has the whole guide.`;

/** The `berth` command: the server commands that run Berth, and the client commands that talk to a box. */
function main(): void {
  exitQuietlyWhenPipeCloses([process.stdout, process.stderr], (code) => process.exit(code));
  const ctx = createContext(processIo(), process, (code) => process.exit(code));
  const program = new Command()
    .name('berth')
    .description('Berth: a self-hosted, multi-tenant platform control plane. Runs a box (serve, worker) and drives one (login, apps, tasks, …).')
    .version(version)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`berth: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError('(berth <command> --help shows its usage)')
    .addHelpText('after', HELP_AFTER);

  registerSessionCommands(program, ctx);
  registerAppCommands(program, ctx);
  registerTaskCommands(program, ctx);
  registerUserCommands(program, ctx);
  registerGroupCommands(program, ctx);
  registerDomainCommands(program, ctx);
  registerBackupCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerEventlogCommand(program, ctx);
  registerNotificationCommands(program, ctx);
  registerJobCommands(program, ctx);
  // One `admin` group: `passphrase` runs on the server's machine, the rest talk to the admin API.
  const admin = program.command('admin').description("operator commands: the admin API's instances and fsck (docs/admin.md), and the admin passphrase");
  registerAdminCommands(admin, ctx);
  registerCompletion(program, ctx);
  registerServerCommands(program, admin);

  program.parseAsync().catch((err) => {
    // Commander's own exits: help and --version are 0, every usage error (unknown command or flag, a
    // missing argument, a bad value) is 2. It has printed its message already.
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    console.error(`berth: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

main();
