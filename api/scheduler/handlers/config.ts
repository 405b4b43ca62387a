import type { components } from '../../../cli/generated/scheduler';
import type { SchedulerHandlers } from '../handler-types';
import { presentJobConfig } from '../present';
import { actorOf, ok, principalOf, type SchedulerServices } from '../services';

type JobConfig = components['schemas']['JobConfig'];

/** Ofelia's `service` group holds Berth's `service-run` jobs. */
const GROUP = { exec: 'exec', run: 'run', local: 'local', 'service-run': 'service' } as const;

/** The configuration: the tenant's globals (file and settings, redacted) and its jobs by type. */
export function configHandlers(s: SchedulerServices) {
  return {
    getConfig: async (call) => {
      const { instanceId } = principalOf(call);
      const [global, jobs] = await Promise.all([s.schedulerSettings.effective(instanceId), s.schedulerOverview.list(instanceId)]);
      const groups: Record<'exec' | 'run' | 'local' | 'service', JobConfig[]> = { exec: [], run: [], local: [], service: [] };
      for (const { job, active } of jobs) groups[GROUP[job.type]].push(presentJobConfig(job, active));
      return ok({ global, jobs: groups });
    },

    patchGlobalConfig: async (call) => {
      const global = await s.schedulerSettings.update(actorOf(call), call.body);
      return ok({ updated: true, global, message: 'Global configuration updated' });
    },
  } satisfies Partial<SchedulerHandlers>;
}
