import type { AppLifecycle } from '../services/apps/app-lifecycle';
import { APP_TASK_TYPE } from '../services/apps/app-tasks';
import { handle } from '../services/tasks/task-handler';

/** The `app` task runs the lifecycle step its op names (services/apps/app-tasks.ts has the type's rules). */
export function appTaskHandler(lifecycle: AppLifecycle) {
  return handle(APP_TASK_TYPE, (ctx) => lifecycle.run(ctx.args, ctx));
}
