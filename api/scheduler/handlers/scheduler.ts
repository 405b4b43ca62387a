import { forbidden } from '../../../services/core/errors';
import type { SchedulerHandlers } from '../handler-types';
import { actorOf, ok, principalOf, type SchedulerServices } from '../services';

/** The tenant's scheduler: status, start, stop; and the operator's INI file: reload. */
export function schedulerHandlers(s: SchedulerServices) {
  return {
    getSchedulerStatus: async (call) => {
      const { uptimeSecs, ...status } = await s.schedulerControl.status(principalOf(call).instanceId);
      return ok({ ...status, uptime: uptimeSecs });
    },

    startScheduler: async (call) => {
      const status = await s.schedulerControl.setRunning(actorOf(call), true);
      return ok({ running: status.running, message: 'Scheduler started' });
    },

    stopScheduler: async (call) => {
      const status = await s.schedulerControl.setRunning(actorOf(call), false);
      return ok({ running: status.running, message: 'Scheduler stopped' });
    },

    /**
     * The file defines the operator's jobs, which belong to the box's default tenant: reloading it is for that
     * tenant's owner (the document's rule asks for the owner role), never another tenant's.
     */
    reloadScheduler: async (call) => {
      const principal = principalOf(call);
      if ((await s.schedulerSources.operatorTenant()) !== principal.instanceId) {
        throw forbidden("The configuration file holds the box operator's jobs: only an owner of the box's default tenant may reload it");
      }
      if (!s.schedulerConfig.configured) {
        const nothing = { jobsAdded: 0, jobsUpdated: 0, jobsRemoved: 0, refused: [], errors: [] };
        return ok({ reloaded: false, ...nothing, message: 'No configuration file is set (BERTH_SCHEDULER_CONFIG)' });
      }
      const report = await s.schedulerConfig.reload();
      const failed = report.errors.length;
      return ok({
        reloaded: failed === 0,
        jobsAdded: report.added.length,
        jobsUpdated: report.updated.length,
        jobsRemoved: report.removed.length,
        message: failed ? `Configuration reloaded with errors: ${failed} file(s) not read, their jobs unchanged` : 'Configuration reloaded successfully',
        refused: report.refused,
        errors: report.errors,
      });
    },
  } satisfies Partial<SchedulerHandlers>;
}
