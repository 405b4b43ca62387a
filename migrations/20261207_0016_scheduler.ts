import type { Knex } from 'knex';

/**
 * The scheduler's jobs and their executions (seed 000, Ofelia). A job row holds the job as its source wrote it
 * (`spec`, JSON) apart from what the API may change on any job: `enabled` and a schedule override, so a file or
 * a container that is read again keeps them. `next_run` is the clock every process reads: a process fires a job by
 * moving `next_run` forward with a conditional update, so one fire is taken by one process however many run.
 *
 * An execution is one run of a job, carried out by a `scheduler.run` task; its id is the seed's `executionId`.
 * `(job_id, scheduled_for)` is unique, a second guard against one scheduled fire running twice.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('scheduler_jobs', (t) => {
    t.string('id', 64).primary();
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('name', 200).notNullable();
    t.string('type', 20).notNullable();
    /** `api`, `config` (an INI file), `docker-label`, `manifest` (an app's scheduler addon). */
    t.string('origin', 20).notNullable();
    /** Which file, container or app defined it (`api` for the API): what a re-read of that source replaces. */
    t.string('source_key', 500).notNullable();
    /** The operator's jobs (the INI file, labels on containers Berth does not manage): any container, `local`. */
    t.boolean('operator').notNullable().defaultTo(false);
    t.text('spec').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('schedule_override', 300).nullable();
    t.bigInteger('next_run').nullable();
    t.bigInteger('last_run').nullable();
    t.string('last_status', 20).nullable();
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.unique(['instance_id', 'name'], { indexName: 'scheduler_jobs_name' });
    t.index(['enabled', 'next_run'], 'scheduler_jobs_due');
    t.index(['origin', 'source_key'], 'scheduler_jobs_source');
  });
  await knex.schema.createTable('scheduler_executions', (t) => {
    t.string('id', 64).primary();
    t.string('job_id', 64).notNullable().references('scheduler_jobs.id').onDelete('CASCADE');
    t.string('instance_id', 64).notNullable().references('instances.id').onDelete('CASCADE');
    t.string('job_name', 200).notNullable();
    /** `schedule`, `manual`, `startup`. */
    t.string('trigger', 20).notNullable();
    t.bigInteger('scheduled_for').nullable();
    t.integer('task_id').nullable().references('tasks.id').onDelete('SET NULL');
    /** `queued`, `running`, `success`, `failed`, `stopped`, `timeout`, `crashed`, `skipped`, `missed`. */
    t.string('status', 20).notNullable();
    t.integer('exit_code').nullable();
    t.text('output').nullable();
    t.text('error').nullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('started_at').nullable();
    t.bigInteger('ended_at').nullable();
    t.unique(['job_id', 'scheduled_for'], { indexName: 'scheduler_executions_fire' });
    t.index(['job_id', 'created_at'], 'scheduler_executions_history');
    t.index(['task_id'], 'scheduler_executions_task');
    t.index(['status', 'created_at'], 'scheduler_executions_status');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('scheduler_executions');
  await knex.schema.dropTable('scheduler_jobs');
}
