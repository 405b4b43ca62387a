import cron, { type ScheduledTask } from 'node-cron';
import { RENEW_CERTS_TASK, type CertificateRenewal, type RenewalSchedule } from '../services/certificates/certificate-renewal';
import type { Logger } from '../services/core/logger';
import type { TaskDefinition } from '../services/tasks/task-registry';

/** `renewcerts`: one at a time per tenant (a second is refused: the running one renews the same names). */
export function certificateTaskDefinitions(renewal: CertificateRenewal): TaskDefinition[] {
  return [{
    type: RENEW_CERTS_TASK,
    timeoutMs: 60 * 60_000,
    concurrency: 1,
    idempotent: true,
    onConflict: 'refuse',
    run: (ctx) => renewal.renew(String(ctx.task.args.instanceId), ctx),
  }];
}

/** Daily at 03:17 (off the hour, as CAs ask), each process with workers starts the renewals that are due. */
export function scheduleRenewals(schedule: RenewalSchedule, logger: Logger): ScheduledTask {
  return cron.schedule('17 3 * * *', () => {
    schedule.runDue().then(
      (started) => started.length && logger.info({ tenants: started.length }, 'certificate renewals started'),
      (err) => logger.warn({ err: (err as Error).message }, 'certificate renewals failed'),
    );
  });
}
