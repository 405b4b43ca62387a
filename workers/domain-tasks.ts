import { PREPARE_DASHBOARD_TASK_TYPE } from '../services/cloudron/cloudron-tasks';
import type { DashboardSetupService } from '../services/cloudron/dashboard-setup';
import type { DomainSync } from '../services/domains/domain-sync';
import { SYNC_DOMAIN_TASK_TYPE } from '../services/domains/domain-tasks';
import { handle } from '../services/tasks/task-handler';

/** `prepareDashboardDomain` (first-run setup) and `syncDomain` (after a domain change). */
export function domainTaskHandlers(deps: { dashboard: DashboardSetupService; sync: DomainSync }) {
  return [
    handle(PREPARE_DASHBOARD_TASK_TYPE, (ctx) => deps.dashboard.run(ctx.args.instanceId, ctx.args.domain, ctx)),
    handle(SYNC_DOMAIN_TASK_TYPE, (ctx) => {
      const { instanceId, domain, dns, proxy } = ctx.args;
      return deps.sync.run(instanceId, domain, { dns, proxy }, ctx);
    }),
  ];
}
