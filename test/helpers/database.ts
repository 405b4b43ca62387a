import { randomBytes } from 'node:crypto';
import knex from 'knex';

/**
 * Tests run on SQLite by default; with TEST_DATABASE_URL=postgres://… every test file gets its own
 * PostgreSQL schema on that database, dropped at the end.
 */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL;
export const onPostgres = Boolean(testDatabaseUrl?.startsWith('postgres'));

export async function createTestSchema(): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: testDatabaseUrl });
  try {
    await admin.raw('create schema ??', [schema]);
  } finally {
    await admin.destroy();
  }
  return schema;
}

export async function dropTestSchema(schema: string): Promise<void> {
  const admin = knex({ client: 'pg', connection: testDatabaseUrl });
  try {
    await admin.raw('drop schema if exists ?? cascade', [schema]);
  } finally {
    await admin.destroy();
  }
}
