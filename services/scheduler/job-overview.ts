import type { ExecutionRepo } from './execution-repo';
import type { JobRepo, StoredJob } from './job-repo';

export interface JobWithActivity {
  job: StoredJob;
  /** An execution of the job is queued or running. */
  active: boolean;
}

/**
 * The tenant's jobs with whether each is busy, for `GET /api/jobs` and `GET /api/config`: one query for the jobs,
 * one for the tenant's unfinished executions, whatever the number of jobs.
 */
export class JobOverview {
  constructor(private readonly deps: { jobs: Pick<JobRepo, 'list'>; executions: Pick<ExecutionRepo, 'unfinished'> }) {}

  async list(instanceId: string): Promise<JobWithActivity[]> {
    const [jobs, unfinished] = await Promise.all([this.deps.jobs.list(instanceId), this.deps.executions.unfinished(instanceId)]);
    const busy = new Set(unfinished.map((execution) => execution.jobId));
    return jobs.map((job) => ({ job, active: busy.has(job.id) }));
  }
}
