import type { SchedulerHandlers } from '../handler-types';
import { presentExecutionDetail } from '../present';
import { actorOf, ok, principalOf, type SchedulerServices } from '../services';

/** Executions: read, stop, log. Another tenant's execution is 404 as one that never existed. */
export function executionHandlers(s: SchedulerServices) {
  return {
    getExecution: async (call) => ok(presentExecutionDetail(await s.schedulerExecutions.get(principalOf(call).instanceId, call.params.executionId))),

    stopExecution: async (call) => {
      const execution = await s.schedulerExecutions.stop(actorOf(call), call.params.executionId);
      // A queued execution ends at once; a running one once its worker has killed what it started.
      const message = execution.status === 'queued' ? 'Execution stopped' : 'Execution stopping: it ends once its process is killed';
      return ok({ executionId: execution.id, stopped: true, message });
    },

    getExecutionLogs: async (call) => {
      const { executionId } = call.params;
      const lines = await s.schedulerExecutions.logs(principalOf(call).instanceId, executionId);
      return ok({
        executionId,
        logs: lines.map((line) => ({ timestamp: new Date(line.at).toISOString(), level: 'info' as const, message: line.line })),
      });
    },
  } satisfies Partial<SchedulerHandlers>;
}
