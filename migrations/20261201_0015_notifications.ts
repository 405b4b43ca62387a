import type { Knex } from 'knex';

/**
 * Notifications for a tenant's admins (Cloudron's `/notifications`): things that went wrong without anyone
 * watching — a certificate that could not be renewed, backups that stopped succeeding. `alert_key` names the
 * condition, so a condition that persists updates one unacknowledged notification instead of adding one per check.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notifications', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('alert_key', 300);
    t.string('event_id', 64);
    t.string('title', 500).notNullable();
    t.text('message').notNullable();
    t.boolean('acknowledged').notNullable().defaultTo(false);
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.index(['instance_id', 'created_at', 'id'], 'notifications_page_order');
    t.index(['instance_id', 'alert_key', 'acknowledged'], 'notifications_alert');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notifications');
}
