import { defineTaskType } from '../tasks/task-type';

export const PREPARE_DASHBOARD_TASK = 'prepareDashboardDomain';

/** First-run setup of `my.<domain>`: one at a time per tenant (a second is refused). It converges: idempotent. */
export const PREPARE_DASHBOARD_TASK_TYPE = defineTaskType<{ instanceId: string; domain: string }>({
  name: PREPARE_DASHBOARD_TASK,
  args: {
    type: 'object',
    properties: { instanceId: { type: 'string' }, domain: { type: 'string' } },
    required: ['instanceId', 'domain'],
  },
  timeoutMs: 30 * 60_000,
  concurrency: 2,
  idempotent: true,
  onConflict: 'refuse',
});
