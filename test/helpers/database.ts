import { randomBytes } from 'node:crypto';
import knex from 'knex';

/**
 * Tests run on SQLite by default; with TEST_DATABASE_URL=postgres://… every test file gets its own
 * PostgreSQL schema on that database, dropped at the end.
 */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL;
export const onPostgres = Boolean(testDatabaseUrl?.startsWith('postgres'));
/**
 * A PostgreSQL server for tests that need one whatever the suite's engine (restoring across engines): the
 * suite's own, or TEST_POSTGRES_URL (.ci/run sets it for the SQLite suite too). Undefined: such tests skip.
 */
export const postgresUrl = onPostgres ? testDatabaseUrl : process.env.TEST_POSTGRES_URL?.trim() || undefined;

export async function createTestSchema(url = testDatabaseUrl): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: url });
  try {
    await admin.raw('create schema ??', [schema]);
  } finally {
    await admin.destroy();
  }
  return schema;
}

export async function dropTestSchema(schema: string, url = testDatabaseUrl): Promise<void> {
  const admin = knex({ client: 'pg', connection: url });
  try {
    await admin.raw('drop schema if exists ?? cascade', [schema]);
  } finally {
    await admin.destroy();
  }
}
