import type { Clock } from '../core/clock';
import type { Task, TaskRepo } from '../tasks/task-repo';
import type { App, AppRepo } from './app-repo';
import { INSTALLATION_STATES, PENDING_STATE, isPending } from './app-states';
import type { AppTaskArgs } from './app-tasks';

/**
 * Keeps an app's row in step with its task when the handler could not: a task stopped while queued, timed
 * out, or crashed for good ends without the handler writing the outcome, and the app would sit in its pending
 * state forever. `settled` is the app task type's settle hook (services/tasks/task-catalogue.ts); `sweep` runs
 * once at start-up for what no hook saw: a task that ended while this process was down between the row's end
 * and its hook, or a task row that is gone ("The task was lost").
 *
 * Only an app still in a pending state set by that very task moves, and only to `error` (the conditional
 * update), so a handler that did write its outcome always wins.
 */
export class AppSettler {
  constructor(private readonly deps: { apps: AppRepo; tasks: TaskRepo; clock: Clock }) {}

  async settled({ task, args }: { task: Task; args: AppTaskArgs }): Promise<void> {
    if (task.state !== 'error') return;
    const app = await this.deps.apps.getAny(args.appId);
    // Only the pending state this task set: an uninstall that pre-empts a queued install moves the app to
    // pending_uninstall before its own task id is written, and the stopped install must not fail the uninstall.
    if (app && app.taskId === task.id && app.installationState === PENDING_STATE[args.op]) await this.fail(app, task);
  }

  /** Settles every pending app whose task ended in error or is gone; returns how many it moved. */
  async sweep(): Promise<number> {
    let moved = 0;
    for (const app of await this.deps.apps.listInStates(INSTALLATION_STATES.filter(isPending))) {
      if (app.taskId === null) continue;
      const task = await this.deps.tasks.get(app.taskId);
      if (task && task.state !== 'error') continue;
      if (await this.fail(app, task)) moved++;
    }
    return moved;
  }

  private async fail(app: App, task: Task | undefined): Promise<boolean> {
    if (!isPending(app.installationState)) return false;
    const error = {
      message: task?.error?.message ?? 'The task was lost',
      installationState: app.installationState,
      taskId: app.taskId,
      reason: task?.error?.code ?? 'lost',
    };
    return this.deps.apps.update(app.id, { installationState: 'error', error }, this.deps.clock().toISOString(), [app.installationState]);
  }
}
