import { ask, interactive } from '../ui/prompt';
import type { Io } from '../ui/io';
import type { ProgressView } from '../ui/progress';
import { unwrap, type BoxClient } from './api';
import { CliError } from './errors';
import type { Task } from './types';

export interface WaitOptions {
  view: ProgressView;
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
 * Polls a task until it ends and returns it, showing its progress. Ctrl-C asks whether to stop the task when a
 * person is at the terminal (then waits for it to end), and otherwise stops waiting with exit code 130,
 * leaving the task running.
 */
export async function waitForTask(io: Io, signals: Signals, api: BoxClient, taskId: number, options: WaitOptions): Promise<Task> {
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
      const task = await unwrap(api.GET('/tasks/{taskId}', { params: { path: { taskId } } }));
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
        await interrupted(io, api, taskId);
      }
    }
  } finally {
    signals.removeListener('SIGINT', onSigint);
  }
}

async function interrupted(io: Io, api: BoxClient, taskId: number): Promise<void> {
  if (!interactive(io)) {
    throw new CliError(`stopped waiting; task ${taskId} goes on (berth tasks stop ${taskId} stops it)`, 130);
  }
  let reply: string;
  try {
    reply = await ask(io, `Stop task ${taskId}? [y/N] `);
  } catch (err) {
    if (err instanceof CliError && err.exitCode === 130) throw new CliError(`interrupted; task ${taskId} goes on (berth tasks stop ${taskId} stops it)`, 130);
    throw err;
  }
  if (!/^y(es)?$/i.test(reply)) {
    io.stderr.write(`Still waiting for task ${taskId} (it goes on)\n`);
    return;
  }
  const answer = await api.POST('/tasks/{taskId}/stop', { params: { path: { taskId } } });
  // 409: it ended or is already stopping; either way the wait goes on to its end.
  if (!answer.response.ok && answer.response.status !== 409) await unwrap(Promise.resolve(answer));
  io.stderr.write(`Stopping task ${taskId}…\n`);
}
