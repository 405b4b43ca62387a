import type { Knex } from 'knex';

/**
 * Apps, their host ports and the catalogue of manifests admins add. Host ports and fully qualified domain names
 * are unique across tenants, because one machine and one reverse proxy serve them all; the unique indexes make
 * two concurrent installs unable to take the same one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('apps', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('app_store_id', 128).nullable();
    t.text('manifest').notNullable();
    t.string('installation_state', 32).notNullable();
    t.string('run_state', 16).notNullable();
    t.string('health', 16).nullable();
    t.string('health_time', 24).nullable();
    t.bigInteger('task_id').nullable();
    t.text('error').nullable();
    t.string('location', 63).notNullable();
    t.string('domain', 253).notNullable();
    t.string('fqdn', 253).notNullable().unique();
    t.text('access_restriction').nullable();
    t.string('label', 128).nullable();
    t.text('tags').notNullable();
    t.bigInteger('memory_limit').notNullable();
    t.text('env').notNullable();
    t.boolean('sso').notNullable();
    t.boolean('enable_backup').notNullable();
    t.boolean('enable_automatic_update').notNullable();
    t.text('alternate_domains').notNullable();
    // The loopback port the app's httpPort is published on; the reverse proxy and the health check use it.
    t.integer('http_port').nullable().unique();
    t.binary('icon').nullable();
    t.string('created_at', 24).notNullable();
    t.string('updated_at', 24).notNullable();
    t.index(['instance_id', 'created_at']);
  });

  await knex.schema.createTable('app_port_bindings', (t) => {
    t.integer('host_port').notNullable();
    t.string('protocol', 3).notNullable();
    t.string('app_id', 64).notNullable().references('apps.id').onDelete('CASCADE');
    t.string('env_name', 128).notNullable();
    t.primary(['host_port', 'protocol']);
    t.index(['app_id']);
  });

  await knex.schema.createTable('catalogue_manifests', (t) => {
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('app_store_id', 128).notNullable();
    t.string('version', 64).notNullable();
    t.text('manifest').notNullable();
    t.string('created_at', 24).notNullable();
    t.primary(['instance_id', 'app_store_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('catalogue_manifests');
  await knex.schema.dropTable('app_port_bindings');
  await knex.schema.dropTable('apps');
}
