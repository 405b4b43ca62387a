import type { Context } from '../context';
import { CliError } from '../client/errors';
import { executionEnded, schedulerUnwrap, type ExecutionDetail, type SchedulerClient } from '../client/scheduler-api';
import { printJson, say } from '../ui/io';
import { duration, outcome } from './job-views';
import type { WaitOptions } from './task-output';

/**
 * `berth jobs run <name> [--wait]`: starts an execution now. Without --wait it prints the execution's id; with
 * it, polls the execution until it ends, prints the command's output and exits as `--wait` on a task does:
 * 0 when it succeeded, 1 when it failed, was stopped, timed out or crashed (the reason on stderr).
 */
export async function runJob(ctx: Context, scheduler: SchedulerClient, name: string, options: WaitOptions & { pollMs?: number }): Promise<number> {
  const started = await schedulerUnwrap(scheduler.POST('/api/job/{name}/run', { params: { path: { name } } }));
  const id = started.executionId;
  const json = Boolean(options.json);
  if (!options.wait) {
    if (json) printJson(ctx.io, started);
    else say(ctx.io, `Started job ${name}: execution ${id}. Follow it with: berth jobs logs ${id}`);
    return 0;
  }
  if (!json) say(ctx.io, `Started job ${name}: execution ${id}…`);
  const execution = await waitForExecution(ctx, scheduler, id, options.pollMs);
  if (json) printJson(ctx.io, { ...started, execution });
  else if (execution.output) ctx.io.stdout.write(execution.output.endsWith('\n') ? execution.output : `${execution.output}\n`);
  if (execution.status === 'success') {
    if (!json) say(ctx.io, `Job ${name} succeeded (execution ${id}, ${duration(execution.duration)}).`);
    return 0;
  }
  // A stopped execution's error is only "Stopped": the status says it already.
  const error = execution.error?.replace(/\s*\n\s*/g, ' ').trim();
  const reason = error && error.toLowerCase() !== execution.status ? `: ${error}` : '';
  ctx.io.stderr.write(`berth: execution ${id} of job ${name} ${outcome(execution)}${reason}\n`);
  return 1;
}

/**
 * Polls an execution until it has ended. Ctrl-C stops waiting (exit 130) and leaves it running: the scheduler
 * API has no task to ask about at a terminal, and `berth jobs stop` stops it.
 */
export async function waitForExecution(ctx: Context, scheduler: SchedulerClient, id: string, pollMs = 500): Promise<ExecutionDetail> {
  let interrupted = false;
  let wake: () => void = () => undefined;
  const onSigint = () => {
    interrupted = true;
    wake();
  };
  ctx.signals.on('SIGINT', onSigint);
  try {
    for (;;) {
      const execution = await schedulerUnwrap(scheduler.GET('/api/execution/{executionId}', { params: { path: { executionId: id } } }));
      if (executionEnded(execution)) return execution;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (interrupted) resolve();
        else setTimeout(resolve, pollMs);
      });
      if (interrupted) throw new CliError(`stopped waiting; execution ${id} goes on (berth jobs stop ${id} stops it)`, 130);
    }
  } finally {
    ctx.signals.removeListener('SIGINT', onSigint);
  }
}
