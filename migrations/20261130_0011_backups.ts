import type { Knex } from 'knex';

/**
 * Backups: one row per box or app backup of a tenant. The files live on the tenant's backup target; the row
 * says where (`remote_path`, relative to the tenant's folder on the target) and what each file's SHA-256 is.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('backups', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('type', 8).notNullable();
    // The app's id for app backups, `box` for box backups (Cloudron's identifier).
    t.string('identifier', 64).notNullable();
    t.string('state', 16).notNullable();
    t.string('format', 16).notNullable();
    t.boolean('encrypted').notNullable();
    t.string('version', 64).notNullable();
    t.text('remote_path').notNullable();
    t.text('files').notNullable();
    t.text('depends_on').notNullable();
    t.text('manifest');
    t.bigInteger('size').notNullable();
    t.integer('preserve_secs').notNullable();
    t.string('label', 200).notNullable().defaultTo('');
    t.text('error');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.index(['instance_id', 'created_at', 'id'], 'backups_page_order');
    t.index(['instance_id', 'identifier', 'created_at'], 'backups_identifier');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('backups');
}
