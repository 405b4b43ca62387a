import type { CloudronService } from '../../services/cloudron/cloudron-service';
import type { HealthService } from '../../services/health/health-service';
import type { InstanceService } from '../../services/instances/instance-service';
import type { ConfigFile } from '../../services/scheduler/config-file';
import type { JobExecutions } from '../../services/scheduler/job-executions';
import type { JobOverview } from '../../services/scheduler/job-overview';
import type { JobService } from '../../services/scheduler/job-service';
import type { JobSources } from '../../services/scheduler/job-sources';
import type { SchedulerControl } from '../../services/scheduler/scheduler-control';
import type { SchedulerSettings } from '../../services/scheduler/scheduler-settings';
import type { TokenService } from '../../services/tokens/token-service';

/** The services the scheduler API's handlers call (names as `server/compose/scheduler.ts` hands them on). */
export interface SchedulerServices {
  health: HealthService;
  /** Login and tokens are the box's: one account, one kind of token, for both APIs. */
  instances: InstanceService;
  cloudron: CloudronService;
  tokens: TokenService;
  schedulerJobs: JobService;
  schedulerOverview: JobOverview;
  schedulerExecutions: JobExecutions;
  schedulerControl: SchedulerControl;
  schedulerConfig: ConfigFile;
  schedulerSources: JobSources;
  schedulerSettings: SchedulerSettings;
}

export { actorOf, principalOf } from '../box/services';

export const ok = (body: unknown) => ({ status: 200, body });
