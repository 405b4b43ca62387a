import type { Knex } from 'knex';

/** Groups and their members, and the audit log. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('groups', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.string('created_at', 24).notNullable();
    t.unique(['instance_id', 'name']);
  });

  await knex.schema.createTable('group_members', (t) => {
    t.string('group_id', 64).notNullable().references('groups.id').onDelete('CASCADE');
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.primary(['group_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('eventlog', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('action', 64).notNullable();
    t.string('actor_type', 16).notNullable();
    t.string('actor_id', 64).nullable();
    t.string('target', 128).nullable();
    t.string('source_ip', 64).nullable();
    t.text('data').notNullable();
    t.string('created_at', 24).notNullable();
    t.index(['instance_id', 'created_at']);
    t.index(['instance_id', 'action', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('eventlog');
  await knex.schema.dropTable('group_members');
  await knex.schema.dropTable('groups');
}
