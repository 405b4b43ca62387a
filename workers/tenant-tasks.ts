import type { TaskDefinition } from '../services/tasks/task-registry';
import { INSTANCE_DELETE_TASK, INSTANCE_EXPORT_TASK } from '../services/tenants/tenant-service';
import type { TenantDeletion } from '../services/tenants/tenant-deletion';
import type { TenantExporter } from '../services/tenants/tenant-export';

/** Tenant deletion and export: idempotent steps, so a run cut short by a crash is run again to the end. */
export function tenantTaskDefinitions(deps: { deletion: TenantDeletion; exporter: TenantExporter }): TaskDefinition[] {
  return [
    {
      type: INSTANCE_DELETE_TASK,
      timeoutMs: 2 * 60 * 60_000,
      concurrency: 2,
      idempotent: true,
      onConflict: 'refuse',
      run: (ctx) => deps.deletion.run(String(ctx.task.args.instanceId), ctx),
    },
    {
      type: INSTANCE_EXPORT_TASK,
      timeoutMs: 6 * 60 * 60_000,
      concurrency: 2,
      idempotent: true,
      onConflict: 'refuse',
      run: (ctx) => deps.exporter.run(String(ctx.task.args.instanceId), String(ctx.task.args.exportId), ctx),
    },
  ];
}
