import type { Knex } from 'knex';
import type { Db } from './database';
import { migrations } from '../../migrations';

/**
 * Migrations are TypeScript modules listed in migrations/index.ts, so the same list runs from the
 * compiled build and under the test runner, with no file globbing.
 */
class ListedMigrations implements Knex.MigrationSource<string> {
  async getMigrations() {
    return Object.keys(migrations).sort();
  }
  getMigrationName(name: string) {
    return name;
  }
  async getMigration(name: string) {
    return migrations[name];
  }
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource: new ListedMigrations() });
  return applied as string[];
}
