import { validationError } from '../../../services/core/errors';
import type { SchedulerHandlers } from '../handler-types';
import { presentJob, presentJobDetail } from '../present';
import { actorOf, ok, principalOf, type SchedulerServices } from '../services';

/** Jobs: list, read, create (PUT of a new name, or POST), change, delete, toggle, run now. */
export function jobHandlers(s: SchedulerServices) {
  return {
    listJobs: async (call) => {
      const jobs = await s.schedulerOverview.list(principalOf(call).instanceId);
      return ok({
        jobs: jobs.map(({ job, active }) => presentJob(job, active)),
        total: jobs.length,
        running: jobs.filter((j) => j.active).length,
      });
    },

    getJob: async (call) => {
      const { job, history, metrics } = await s.schedulerJobs.details(principalOf(call).instanceId, call.params.name);
      return ok(presentJobDetail(job, history, metrics));
    },

    createJob: async (call) => {
      const { name, ...input } = call.body;
      const job = await s.schedulerJobs.create(actorOf(call), name, input);
      return { status: 201, body: { name: job.name, created: true, message: 'Job created successfully' } };
    },

    putJob: async (call) => {
      const { name, ...input } = call.body;
      // The path names the job; a body that names another would rename it, which Ofelia has no notion of.
      if (name !== undefined && name !== call.params.name) {
        throw validationError(`name "${name}" in the body differs from the path's "${call.params.name}"`, { field: 'name' });
      }
      const { job, created } = await s.schedulerJobs.put(actorOf(call), call.params.name, input);
      return created
        ? { status: 201, body: { name: job.name, created: true, message: 'Job created successfully' } }
        : ok({ name: job.name, updated: true, message: 'Job configuration updated successfully' });
    },

    deleteJob: async (call) => {
      await s.schedulerJobs.delete(actorOf(call), call.params.name);
      return ok({ name: call.params.name, deleted: true, message: 'Job deleted successfully' });
    },

    toggleJob: async (call) => {
      const job = await s.schedulerJobs.toggle(actorOf(call), call.params.name);
      return ok({ name: job.name, enabled: job.enabled, message: job.enabled ? 'Job enabled' : 'Job disabled' });
    },

    runJob: async (call) => {
      const execution = await s.schedulerExecutions.runNow(actorOf(call), call.params.name);
      return {
        status: 202,
        body: { executionId: execution.id, job: execution.jobName, startTime: new Date(execution.createdAt).toISOString(), status: 'running' },
      };
    },
  } satisfies Partial<SchedulerHandlers>;
}
