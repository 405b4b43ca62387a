import type { Knex } from 'knex';

/**
 * Tenancy from the first table: every tenant-owned row carries `instance_id`, and deleting an instance
 * removes what it owns. Times are ISO-8601 UTC strings (24 characters), which sort correctly on both engines.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('instances', (t) => {
    t.string('id', 64).primary();
    t.string('domain', 253).nullable().unique();
    t.boolean('is_default').notNullable().defaultTo(false);
    t.string('created_at', 24).notNullable();
  });

  await knex.schema.createTable('settings', (t) => {
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.text('value').notNullable();
    t.primary(['instance_id', 'name']);
  });

  await knex.schema.createTable('users', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('username', 64).nullable();
    t.string('email', 254).notNullable();
    t.string('fallback_email', 254).notNullable().defaultTo('');
    t.string('display_name', 512).notNullable().defaultTo('');
    t.string('password_hash', 255).nullable();
    t.string('role', 16).notNullable();
    t.boolean('active').notNullable().defaultTo(true);
    t.string('created_at', 24).notNullable();
    t.string('updated_at', 24).notNullable();
    t.unique(['instance_id', 'username']);
    t.unique(['instance_id', 'email']);
  });

  await knex.schema.createTable('tokens', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.string('name', 128).notNullable();
    // SHA-256 of the secret: tokens are 256 random bits, so a fast hash is enough and keeps lookups cheap.
    t.string('token_hash', 64).notNullable().unique();
    t.string('client_id', 32).notNullable();
    t.string('scope', 8).notNullable();
    t.string('expires_at', 24).nullable();
    t.string('last_used_at', 24).nullable();
    t.string('created_at', 24).notNullable();
    t.index(['instance_id', 'user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tokens');
  await knex.schema.dropTable('users');
  await knex.schema.dropTable('settings');
  await knex.schema.dropTable('instances');
}
