import type { Context } from '../context';
import type { Session } from '../client/session';
import type { Task } from '../client/types';
import { boxTasks, waitForTask, type TaskSource } from '../client/wait';
import { printJson, say } from '../ui/io';
import type { CommonOptions } from './options';
import { progressView, silentView } from '../ui/progress';

/**
 * Waits for a task with a progress view: on stdout for people, and with --json on stderr only when that is a
 * terminal (stdout then carries nothing but the JSON).
 */
export function awaitTask(ctx: Context, session: Session, taskId: number, json: boolean): Promise<Task> {
  return followTask(ctx, boxTasks(session.api), taskId, { json });
}

/** awaitTask for any source of tasks (the admin API's too), with how to follow it told on Ctrl-C. */
export function followTask(ctx: Context, source: TaskSource, taskId: number, options: { json: boolean; followHint?: string }): Promise<Task> {
  const view = !options.json ? progressView(ctx.io.stdout) : ctx.io.stderr.isTTY ? progressView(ctx.io.stderr) : silentView();
  return waitForTask(ctx.io, ctx.signals, source, taskId, { view, followHint: options.followHint });
}

/**
 * Reports how a task ended and returns the exit code: 0 when it succeeded, 1 otherwise (its error on stderr,
 * one line). With --json the task itself is printed (or `json`, when given) whatever the outcome.
 */
export function reportTask(ctx: Context, task: Task, options: { json: boolean; success: string; jsonValue?: unknown }): number {
  if (options.json) printJson(ctx.io, options.jsonValue ?? task);
  if (task.success) {
    if (!options.json) ctx.io.stdout.write(`${options.success}\n`);
    return 0;
  }
  const error = task.error ?? { code: 'failed', message: 'the task failed' };
  const how = error.code === 'failed' ? 'failed' : `ended (${error.code})`;
  ctx.io.stderr.write(`berth: task ${task.id} ${how}: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
  return 1;
}

export interface WaitOptions extends CommonOptions {
  wait?: boolean;
}

/**
 * After an operation started its task: without --wait, say so (or print the API's answer); with --wait,
 * show its progress and let its outcome decide the exit code.
 */
export async function followStartedTask(
  ctx: Context,
  session: Session,
  options: WaitOptions,
  taskId: number,
  text: { started: string; done: string; json?: Record<string, unknown> },
): Promise<number> {
  const json = Boolean(options.json);
  const answer = text.json ?? { taskId };
  if (!options.wait) {
    if (json) printJson(ctx.io, answer);
    else say(ctx.io, `${text.started} (task ${taskId}). Follow it with: berth tasks wait ${taskId}`);
    return 0;
  }
  if (!json) say(ctx.io, `${text.started} (task ${taskId})…`);
  const task = await awaitTask(ctx, session, taskId, json);
  return reportTask(ctx, task, { json, success: text.done, jsonValue: { ...answer, task } });
}
