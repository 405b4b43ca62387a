import cron, { type ScheduledTask } from 'node-cron';
import type { CertificateRenewal, RenewalSchedule } from '../services/certificates/certificate-renewal';
import { RENEW_CERTS_TASK_TYPE } from '../services/certificates/certificate-tasks';
import type { Logger } from '../services/core/logger';
import { handle } from '../services/tasks/task-handler';

/** `renewcerts` (type in services/certificates/certificate-tasks.ts). */
export function certificateTaskHandlers(renewal: CertificateRenewal) {
  return [handle(RENEW_CERTS_TASK_TYPE, (ctx) => renewal.renew(ctx.args.instanceId, ctx))];
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
