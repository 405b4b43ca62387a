import type { Knex } from 'knex';

/**
 * Domains and the DNS records Berth wrote for apps. A domain name is the primary key, so it belongs to one tenant
 * on the box: one reverse proxy and one set of certificates serve every tenant. `dns_records` is Berth's memory of
 * what it created, so moving or removing an app takes back exactly its records and never someone else's.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('domains', (t) => {
    t.string('domain', 253).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('zone_name', 253).notNullable();
    t.string('provider', 32).notNullable();
    // Provider settings including secrets (TSIG secret, API tokens): never returned, never logged.
    t.text('config').notNullable();
    t.text('tls_config').notNullable();
    t.text('well_known').nullable();
    t.text('fallback_cert').notNullable();
    t.text('fallback_key').notNullable();
    t.string('created_at', 24).notNullable();
    t.string('updated_at', 24).notNullable();
    t.index(['instance_id', 'domain']);
  });

  await knex.schema.createTable('dns_records', (t) => {
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('app_id', 64).notNullable();
    t.string('domain', 253).notNullable();
    t.string('fqdn', 253).notNullable();
    t.string('type', 8).notNullable();
    t.string('value', 255).notNullable();
    t.string('created_at', 24).notNullable();
    t.primary(['fqdn', 'type']);
    t.index(['app_id']);
    t.index(['instance_id', 'domain']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dns_records');
  await knex.schema.dropTable('domains');
}
