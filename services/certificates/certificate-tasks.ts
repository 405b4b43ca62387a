import { defineTaskType } from '../tasks/task-type';

export const RENEW_CERTS_TASK = 'renewcerts';

/** `renewcerts`: one at a time per tenant (a second is refused: the running one renews the same names). */
export const RENEW_CERTS_TASK_TYPE = defineTaskType<{ instanceId: string }>({
  name: RENEW_CERTS_TASK,
  args: { type: 'object', properties: { instanceId: { type: 'string' } }, required: ['instanceId'] },
  timeoutMs: 60 * 60_000,
  concurrency: 1,
  idempotent: true,
  onConflict: 'refuse',
});
