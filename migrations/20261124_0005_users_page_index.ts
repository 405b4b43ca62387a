import type { Knex } from 'knex';

/**
 * The users list orders by (username, id) within a tenant. Without `id` in an index, SQLite read every skipped
 * row from the table and sorted it, so the last page of 100,000 users took ~90× page 1 (bench/users.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => t.index(['instance_id', 'username', 'id'], 'users_page_order'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => t.dropIndex(['instance_id', 'username', 'id'], 'users_page_order'));
}
