import { defineTaskType } from '../tasks/task-type';

export const INSTANCE_DELETE_TASK = 'instanceDelete';
export const INSTANCE_EXPORT_TASK = 'instanceExport';

// Tenant deletion and export are idempotent steps, so a run cut short by a crash is run again to the end.

export const INSTANCE_DELETE_TASK_TYPE = defineTaskType<{ instanceId: string; domain: string }>({
  name: INSTANCE_DELETE_TASK,
  args: {
    type: 'object',
    properties: { instanceId: { type: 'string' }, domain: { type: 'string' } },
    required: ['instanceId', 'domain'],
  },
  timeoutMs: 2 * 60 * 60_000,
  concurrency: 2,
  idempotent: true,
  onConflict: 'refuse',
});

export const INSTANCE_EXPORT_TASK_TYPE = defineTaskType<{ instanceId: string; exportId: string }>({
  name: INSTANCE_EXPORT_TASK,
  args: {
    type: 'object',
    properties: { instanceId: { type: 'string' }, exportId: { type: 'string' } },
    required: ['instanceId', 'exportId'],
  },
  timeoutMs: 6 * 60 * 60_000,
  concurrency: 2,
  idempotent: true,
  onConflict: 'refuse',
});

export const TENANT_TASK_TYPES = [INSTANCE_DELETE_TASK_TYPE, INSTANCE_EXPORT_TASK_TYPE];
