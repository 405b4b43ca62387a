import type { Knex } from 'knex';

/**
 * Tasks: the row is the truth about a long operation; BullMQ only carries its id. `heartbeat_at` is how a
 * dead worker is noticed, `object_key` how two tasks on one app are kept apart.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tasks', (t) => {
    t.increments('id').primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('type', 64).notNullable();
    t.text('args').notNullable();
    t.string('state', 16).notNullable();
    t.integer('percent').notNullable().defaultTo(0);
    t.text('message').notNullable().defaultTo('');
    t.string('error_code', 16).nullable();
    t.text('error_message').nullable();
    t.text('result').nullable();
    t.string('object_key', 128).nullable();
    t.string('created_by', 64).nullable();
    t.integer('attempt').notNullable().defaultTo(0);
    t.integer('timeout_ms').notNullable();
    t.boolean('stop_requested').notNullable().defaultTo(false);
    t.string('worker_id', 64).nullable();
    t.bigInteger('heartbeat_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('started_at').nullable();
    t.bigInteger('ended_at').nullable();
    t.bigInteger('ts').notNullable();
    t.index(['instance_id', 'id']);
    t.index(['instance_id', 'type', 'id']);
    t.index(['state', 'heartbeat_at']);
    t.index(['object_key', 'state']);
    t.index(['ended_at']);
  });

  await knex.schema.createTable('task_logs', (t) => {
    t.increments('id').primary();
    t.integer('task_id').notNullable().references('tasks.id').onDelete('CASCADE');
    t.bigInteger('at').notNullable();
    t.text('line').notNullable();
    t.index(['task_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('task_logs');
  await knex.schema.dropTable('tasks');
}
