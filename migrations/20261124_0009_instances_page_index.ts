import type { Knex } from 'knex';

/** The admin API lists tenants by creation: an index keeps deep pages from sorting the whole table. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('instances', (t) => t.index(['created_at', 'id'], 'instances_created_at_id'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('instances', (t) => t.dropIndex(['created_at', 'id'], 'instances_created_at_id'));
}
