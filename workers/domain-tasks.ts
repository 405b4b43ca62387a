import { PREPARE_DASHBOARD_TASK, type DashboardSetupService } from '../services/cloudron/dashboard-setup';
import { SYNC_DOMAIN_TASK, type DomainSync } from '../services/domains/domain-sync';
import type { TaskDefinition } from '../services/tasks/task-registry';

/**
 * `prepareDashboardDomain` (first-run setup: one at a time per tenant, a second is refused) and `syncDomain`
 * (after a domain change; changes of one domain queue behind each other). Both converge, so both are idempotent.
 */
export function domainTaskDefinitions(deps: { dashboard: DashboardSetupService; sync: DomainSync }): TaskDefinition[] {
  return [
    {
      type: PREPARE_DASHBOARD_TASK,
      timeoutMs: 30 * 60_000,
      concurrency: 2,
      idempotent: true,
      onConflict: 'refuse',
      run: (ctx) => deps.dashboard.run(String(ctx.task.args.instanceId), String(ctx.task.args.domain), ctx),
    },
    {
      type: SYNC_DOMAIN_TASK,
      timeoutMs: 60 * 60_000,
      concurrency: 2,
      idempotent: true,
      onConflict: 'queue',
      run: (ctx) => {
        const { instanceId, domain, dns, proxy } = ctx.task.args;
        return deps.sync.run(String(instanceId), String(domain), { dns: Boolean(dns), proxy: Boolean(proxy) }, ctx);
      },
    },
  ];
}
