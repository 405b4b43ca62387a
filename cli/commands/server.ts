import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../../services/core/config';

/** Reads the configuration; a bad value stops the process with one line naming the variable. */
function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`berth: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    console.error(`berth: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
}

/**
 * The commands that run Berth itself on this machine: serve, worker, migrate, reconcile, and `admin passphrase` under the
 * `admin` group the entry point made. Their modules load
 * only when one of them runs, so the client commands start quickly.
 */
export function registerServerCommands(program: Command, admin: Command): void {
  program
    .command('serve')
    .description('serve the APIs on BERTH_PORT (migrations run first; a private Redis starts when REDIS_URL is unset)')
    .action(() => run(async () => (await import('../../server/serve.js')).serve(config())));

  program
    .command('worker')
    .description('run task workers only (no HTTP), against the same DATABASE_URL and REDIS_URL as berth serve')
    .action(() => run(async () => (await import('../../server/worker.js')).work(config())));

  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL and exit')
    .action(() =>
      run(async () => {
        const { createDatabase } = await import('../../services/db/database.js');
        const { migrateLatest } = await import('../../services/db/migrate.js');
        const db = createDatabase(config().databaseUrl);
        try {
          const applied = await migrateLatest(db);
          console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
        } finally {
          await db.destroy();
        }
      }),
    );

  program
    .command('reconcile')
    .description('compare the Docker engine with the database: recreate missing app containers, list (or remove) orphaned ones')
    .option('--remove-orphans', 'remove containers labelled by Berth whose app no longer exists')
    .option('--json', 'print the report as JSON')
    .action((options: { removeOrphans?: boolean; json?: boolean }) =>
      run(async () => {
        const { describeReport, reconcileOnce } = await import('../../server/reconcile.js');
        const removeOrphans = Boolean(options.removeOrphans);
        const report = await reconcileOnce(config(), { removeOrphans });
        console.log(options.json ? JSON.stringify(report, null, 2) : describeReport(report, removeOrphans).join('\n'));
      }),
    );

  admin
    .command('passphrase')
    .description(
      'set the admin API passphrase (at least 12 characters) for BERTH_DATA_DIR: asked twice at a terminal, or read from stdin with --stdin. ' +
        'A running berth serve uses a changed passphrase at once; the admin listener opens at the next start',
    )
    .option('--stdin', 'read the passphrase from standard input (for scripts: it never appears in a process list)')
    .action((options: { stdin?: boolean }) =>
      run(async () => {
        const { setAdminPassphrase } = await import('../../server/admin-passphrase.js');
        const { askHidden, interactive, readStdin } = await import('../ui/prompt.js');
        const { processIo } = await import('../ui/io.js');
        const io = processIo();
        let passphrase: string;
        if (options.stdin) passphrase = (await readStdin(io)).replace(/\r?\n$/, '');
        else if (interactive(io)) {
          passphrase = await askHidden(io, 'New admin passphrase: ');
          if ((await askHidden(io, 'Again: ')) !== passphrase) throw new Error('the two passphrases differ');
        } else throw new Error('no terminal to ask at: give the passphrase on stdin with --stdin');
        const file = await setAdminPassphrase(config(), passphrase);
        console.log(`admin passphrase stored in ${file}`);
      }),
    );
}
