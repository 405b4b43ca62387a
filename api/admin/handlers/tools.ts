import { getHeapSnapshot } from 'node:v8';
import { pipeline } from 'node:stream/promises';
import { renderTask } from '../../box/handlers/tasks';
import type { AdminHandlers } from '../handler-types';
import type { AdminServices } from '../services';

export function toolHandlers(s: AdminServices) {
  return {
    getAdminTask: async (call) => ({ status: 200, body: renderTask(await s.tasks.getAny(Number(call.params.taskId))) }),
    getHeapSnapshot: async (call) => {
      call.res.status(200).set({ 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename="berth-${process.pid}.heapsnapshot"` });
      await pipeline(getHeapSnapshot(), call.res);
      return undefined;
    },
  } satisfies Partial<AdminHandlers>;
}
