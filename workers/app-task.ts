import type { AppLifecycle, AppTaskArgs } from '../services/apps/app-lifecycle';
import { APP_TASK } from '../services/apps/app-service';
import type { TaskDefinition } from '../services/tasks/task-registry';

/**
 * The `app` task: install, configure, update, start, stop, restart, recreate or uninstall one app. Its steps
 * converge, so a run interrupted by a crash is simply run again; operations on one app queue behind each other.
 */
export function appTaskDefinition(lifecycle: AppLifecycle): TaskDefinition {
  return {
    type: APP_TASK,
    timeoutMs: 60 * 60_000,
    concurrency: 4,
    idempotent: true,
    onConflict: 'queue',
    run: (ctx) => lifecycle.run(ctx.task.args as unknown as AppTaskArgs, ctx),
  };
}
