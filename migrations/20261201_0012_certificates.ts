import type { Knex } from 'knex';

/**
 * ACME certificates: one ACME account per tenant and directory (its key never leaves the database), and one
 * issued certificate per tenant and fqdn, which the reverse proxy serves instead of the domain's fallback.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('acme_accounts', (t) => {
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('directory_url', 500).notNullable();
    t.text('key_pem').notNullable();
    t.string('created_at', 32).notNullable();
    t.primary(['instance_id', 'directory_url']);
  });
  await knex.schema.createTable('certificates', (t) => {
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('fqdn', 253).notNullable();
    t.text('cert_pem').notNullable();
    t.text('key_pem').notNullable();
    t.string('issuer', 500).notNullable();
    t.string('not_after', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.primary(['instance_id', 'fqdn']);
    t.index(['not_after'], 'certificates_not_after');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('certificates');
  await knex.schema.dropTable('acme_accounts');
}
