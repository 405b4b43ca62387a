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
 * The commands that run Berth itself on this machine: serve, worker, migrate, reconcile. Their modules load
 * only when one of them runs, so the client commands start quickly.
 */
export function registerServerCommands(program: Command): void {
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
}
