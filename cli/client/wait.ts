import { ask, interactive } from '../ui/prompt';
import type { Io } from '../ui/io';
import type { ProgressView } from '../ui/progress';
import { unwrap, type BoxClient } from './api';
import { CliError } from './errors';
import type { Task } from './types';

export interface WaitOptions {
  view: ProgressView;
  /** What Ctrl-C's message adds after "task 12 goes on": how to act on it (default: `berth tasks stop 12 stops it`). */
  followHint?: string;
  /** How often to poll the task. */
  pollMs?: number;
}

/** Where Ctrl-C comes from: the process in the CLI, anything with the same two methods in a test. */
export interface Signals {
  on(signal: 'SIGINT', listener: () => void): unknown;
  removeListener(signal: 'SIGINT', listener: () => void): unknown;
}

export const isDone = (task: Task) => !task.active && !task.pending;

/**
 * Where a waited-for task is read, and stopped when the API can stop it: the box API's tasks, or the admin
 * API's (which has no way to stop one, so Ctrl-C there only stops waiting).
 */
export interface TaskSource {
  get(taskId: number): Promise<Task>;
  stop?(taskId: number): Promise<void>;
}

/** The box API's tasks, which a person may stop. */
export function boxTasks(api: BoxClient): TaskSource {
  return {
    get: (taskId) => unwrap(api.GET('/tasks/{taskId}', { params: { path: { taskId } } })),
    async stop(taskId) {
      const answer = await api.POST('/tasks/{taskId}/stop', { params: { path: { taskId } } });
      // 409: it ended or is already stopping; either way the wait goes on to its end.
      if (!answer.response.ok && answer.response.status !== 409) await unwrap(Promise.resolve(answer));
    },
  };
}

/**
 * Polls a task until it ends and returns it, showing its progress. Ctrl-C asks whether to stop the task when a
 * person is at the terminal and the source can stop it (then waits for it to end), and otherwise stops
 * waiting with exit code 130, leaving the task running.
 */
export async function waitForTask(io: Io, signals: Signals, source: TaskSource, taskId: number, options: WaitOptions): Promise<Task> {
  const { view, pollMs = 500 } = options;
  let interrupts = 0;
  let wake: () => void = () => undefined;
  const onSigint = () => {
    interrupts++;
    wake();
  };
  signals.on('SIGINT', onSigint);
  try {
    for (;;) {
      const task = await source.get(taskId);
      if (isDone(task)) {
        view.clear();
        return task;
      }
      view.show(task);
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (interrupts) resolve();
        else setTimeout(resolve, pollMs);
      });
      if (interrupts) {
        interrupts = 0;
        view.clear();
        await interrupted(io, source, taskId, options.followHint ?? `berth tasks stop ${taskId} stops it`);
      }
    }
  } finally {
    signals.removeListener('SIGINT', onSigint);
  }
}

async function interrupted(io: Io, source: TaskSource, taskId: number, hint: string): Promise<void> {
  if (!interactive(io) || !source.stop) {
    throw new CliError(`stopped waiting; task ${taskId} goes on (${hint})`, 130);
  }
  let reply: string;
  try {
    reply = await ask(io, `Stop task ${taskId}? [y/N] `);
  } catch (err) {
    if (err instanceof CliError && err.exitCode === 130) throw new CliError(`interrupted; task ${taskId} goes on (${hint})`, 130);
    throw err;
  }
  if (!/^y(es)?$/i.test(reply)) {
    io.stderr.write(`Still waiting for task ${taskId} (it goes on)\n`);
    return;
  }
  await source.stop(taskId);
  io.stderr.write(`Stopping task ${taskId}…\n`);
}
