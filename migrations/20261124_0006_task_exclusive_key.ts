import type { Knex } from 'knex';

/**
 * Tasks of `refuse` types carry their object in `exclusive_key`; a partial unique index lets only one of them be
 * unfinished per object, so two simultaneous creates cannot both pass the check (PostgreSQL's READ COMMITTED
 * would let a check-then-insert race).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => t.string('exclusive_key', 128).nullable());
  await knex.raw("create unique index tasks_exclusive_unfinished on tasks (exclusive_key) where state in ('pending', 'active')");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index tasks_exclusive_unfinished');
  await knex.schema.alterTable('tasks', (t) => t.dropColumn('exclusive_key'));
}
