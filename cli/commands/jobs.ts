import type { Command } from 'commander';
import type { Context } from '../context';
import { CliError } from '../client/errors';
import { schedulerUnwrap, type SchedulerClient } from '../client/scheduler-api';
import { when } from '../ui/format';
import { printJson, say } from '../ui/io';
import { runJob } from './job-run';
import { describeJob, describeReload, jobsTable } from './job-views';
import { common, type CommonOptions } from './options';
import type { WaitOptions } from './task-output';

/**
 * `jobs …`: the scheduler's cron jobs (docs/scheduler.md) through its own API (`/api/jobs`, …, openapi/scheduler.yaml)
 * on the same box and with the same login as every other command.
 */
export function registerJobCommands(program: Command, ctx: Context): void {
  const jobs = program.command('jobs').description("scheduled jobs (Ofelia's): list, show, run now, stop, enable, disable, reload the INI file (owners and admins)");
  const scheduler = (options: CommonOptions) => ctx.session({ profile: options.profile }).scheduler;

  common(jobs.command('list').description('list the jobs from every source (API, INI file, container labels, app manifests)')).action((options: CommonOptions) =>
    ctx.run(async () => {
      const answer = await schedulerUnwrap(scheduler(options).GET('/api/jobs'));
      if (options.json) return printJson(ctx.io, answer);
      if (!answer.jobs.length) return say(ctx.io, 'No jobs.');
      say(ctx.io, jobsTable(answer.jobs));
    }),
  );

  common(jobs.command('get').argument('<name>', 'the job name').description("show a job: its fields, its recent executions and its metrics")).action((name: string, options: CommonOptions) =>
    ctx.run(async () => {
      const job = await schedulerUnwrap(scheduler(options).GET('/api/job/{name}', { params: { path: { name } } }));
      if (options.json) return printJson(ctx.io, job);
      say(ctx.io, describeJob(job));
    }),
  );

  common(jobs.command('run').argument('<name>', 'the job name').description('run a job now, enabled or not; prints the execution id'))
    .option('-w, --wait', "wait for the execution to end and print the command's output; its outcome decides the exit code")
    .addHelpText('after', "\nWith --wait: prints the command's output when it ends; exits 0 when it succeeded, 1 when it failed, was stopped, timed out or crashed.\nCtrl-C stops waiting (exit 130) and the execution goes on.")
    .action((name: string, options: WaitOptions) => ctx.run(() => runJob(ctx, scheduler(options), name, options)));

  common(
    jobs
      .command('logs')
      .argument('<executionId>', 'the execution id (from jobs run or jobs get)')
      .description("print an execution's log lines (attempts, retries, the runtime's steps)")
      .option('--output', "print the command's own output (stdout and stderr, as captured) instead"),
  ).action((id: string, options: CommonOptions & { output?: boolean }) =>
    ctx.run(async () => {
      const api = scheduler(options);
      const executionId = { params: { path: { executionId: id } } };
      if (options.output) {
        const execution = await schedulerUnwrap(api.GET('/api/execution/{executionId}', executionId));
        if (options.json) return printJson(ctx.io, execution);
        if (execution.output) ctx.io.stdout.write(execution.output.endsWith('\n') ? execution.output : `${execution.output}\n`);
        return;
      }
      const answer = await schedulerUnwrap(api.GET('/api/execution/{executionId}/logs', executionId));
      if (options.json) return printJson(ctx.io, answer);
      for (const line of answer.logs) ctx.io.stdout.write(`${line.timestamp} ${line.message}\n`);
    }),
  );

  common(jobs.command('stop').argument('<executionId>', 'the execution id').description('stop an execution: a queued one at once, a running one is killed')).action((id: string, options: CommonOptions) =>
    ctx.run(async () => {
      const answer = await schedulerUnwrap(scheduler(options).POST('/api/execution/{executionId}/stop', { params: { path: { executionId: id } } }));
      if (options.json) return printJson(ctx.io, answer);
      say(ctx.io, `${answer.message} (execution ${id}).`);
    }),
  );

  for (const enabled of [true, false]) {
    const verb = enabled ? 'enable' : 'disable';
    common(jobs.command(verb).argument('<name>', 'the job name').description(`${verb} a job (any source); nothing changes when it already is ${verb}d`)).action(
      (name: string, options: CommonOptions) => ctx.run(() => setEnabled(ctx, scheduler(options), name, enabled, options)),
    );
  }

  common(jobs.command('reload').description('read the INI file (BERTH_SCHEDULER_CONFIG) again: jobs added, updated, removed, refused (owners of the default tenant)'))
    .addHelpText('after', '\nExits 1 when a file could not be read (its jobs stay as they were) or no file is set; refused jobs alone do not fail it.')
    .action((options: CommonOptions) =>
      ctx.run(async () => {
        const report = await schedulerUnwrap(scheduler(options).POST('/api/scheduler/reload'));
        if (options.json) printJson(ctx.io, report);
        else say(ctx.io, describeReload(report));
        return report.reloaded ? 0 : 1;
      }),
    );
}

/**
 * The API can only toggle, so `enable`/`disable` read the job first and toggle only when it is not already
 * so: running either twice leaves it as asked. Another client toggling in between would make ours undo its
 * change, so the toggle's answer is checked and, when it is not the state asked for, toggled once more.
 */
async function setEnabled(ctx: Context, api: SchedulerClient, name: string, enabled: boolean, options: CommonOptions): Promise<void> {
  const path = { params: { path: { name } } };
  const job = await schedulerUnwrap(api.GET('/api/job/{name}', path));
  let changed = false;
  if (job.enabled !== enabled) {
    let answer = await schedulerUnwrap(api.PATCH('/api/job/{name}/toggle', path));
    if (answer.enabled !== enabled) answer = await schedulerUnwrap(api.PATCH('/api/job/{name}/toggle', path));
    if (answer.enabled !== enabled) throw new CliError(`job ${name} is being enabled and disabled by someone else: try again`);
    changed = true;
  }
  // The job as it is now: its next run is counted from this moment when it was just enabled.
  const now = changed ? await schedulerUnwrap(api.GET('/api/job/{name}', path)) : job;
  if (options.json) return printJson(ctx.io, { name, enabled, changed, nextRun: now.nextRun });
  const state = enabled ? 'enabled' : 'disabled';
  const next = enabled ? `; next run ${when(now.nextRun)}` : '';
  say(ctx.io, changed ? `Job ${name} ${state}${next}.` : `Job ${name} was already ${state}: nothing changed${next}.`);
}
