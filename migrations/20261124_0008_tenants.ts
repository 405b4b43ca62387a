import type { Knex } from 'knex';

/**
 * Tenant management (the admin API): the control-plane fields of an instance, one-time codes, and exports.
 * Codes are stored as SHA-256 hashes, like tokens.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('instances', (t) => {
    t.string('locale', 16).notNullable().defaultTo('en');
    t.string('email', 254).nullable();
    t.string('context', 64).notNullable().defaultTo('default');
    t.text('quotas').notNullable().defaultTo('{}');
    t.boolean('blocked').notNullable().defaultTo(false);
    t.string('blocking_reason', 128).nullable();
    t.boolean('deleting').notNullable().defaultTo(false);
    t.string('updated_at', 24).nullable();
  });

  await knex.schema.createTable('instance_codes', (t) => {
    t.string('code_hash', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('kind', 32).notNullable();
    t.string('expires_at', 24).notNullable();
    t.string('created_at', 24).notNullable();
    t.index(['instance_id', 'kind']);
  });

  await knex.schema.createTable('instance_exports', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.bigInteger('task_id').nullable();
    t.string('state', 16).notNullable();
    t.text('parts').notNullable().defaultTo('[]');
    t.bigInteger('size').notNullable().defaultTo(0);
    t.string('created_at', 24).notNullable();
    t.index(['instance_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('instance_exports');
  await knex.schema.dropTable('instance_codes');
  for (const column of ['locale', 'email', 'context', 'quotas', 'blocked', 'blocking_reason', 'deleting', 'updated_at']) {
    await knex.schema.alterTable('instances', (t) => t.dropColumn(column));
  }
}
