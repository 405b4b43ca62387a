import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../services/core/logger';
import type { BackupSchedule } from '../services/backups/backup-schedule';

/** Every ten minutes, each process with workers starts the automatic backups that are due. */
export function scheduleBackups(schedule: BackupSchedule, logger: Logger): ScheduledTask {
  return cron.schedule('*/10 * * * *', () => {
    schedule.runDue().then(
      (started) => started.length && logger.info({ tenants: started.length }, 'scheduled backups started'),
      (err) => logger.warn({ err: (err as Error).message }, 'scheduled backups failed'),
    );
  });
}
