import { handle } from '../services/tasks/task-handler';
import type { TenantDeletion } from '../services/tenants/tenant-deletion';
import type { TenantExporter } from '../services/tenants/tenant-export';
import { INSTANCE_DELETE_TASK_TYPE, INSTANCE_EXPORT_TASK_TYPE } from '../services/tenants/tenant-tasks';

/** Tenant deletion and export (types in services/tenants/tenant-tasks.ts). */
export function tenantTaskHandlers(deps: { deletion: TenantDeletion; exporter: TenantExporter }) {
  return [
    handle(INSTANCE_DELETE_TASK_TYPE, (ctx) => deps.deletion.run(ctx.args.instanceId, ctx)),
    handle(INSTANCE_EXPORT_TASK_TYPE, (ctx) => deps.exporter.run(ctx.args.instanceId, ctx.args.exportId, ctx)),
  ];
}
