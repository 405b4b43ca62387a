import { defineTaskType } from '../tasks/task-type';
import type { AppOperation } from './app-states';
import type { Manifest } from './manifest';

export const APP_TASK = 'app';

export interface AppTaskArgs {
  appId: string;
  op: AppOperation;
  /** update: the manifest to move to. */
  manifest?: Manifest;
  appStoreId?: string | null;
  /** restore: the backup to put back; install: the backup a clone starts from. */
  backupId?: string;
  /** install as a clone: the app whose backup `backupId` is. */
  cloneOf?: string;
}

const OPERATIONS: AppOperation[] = ['install', 'configure', 'update', 'uninstall', 'start', 'stop', 'restart', 'recreate', 'backup', 'restore'];

/**
 * The `app` task: install, configure, update, start, stop, restart, recreate, back up, restore or uninstall one
 * app. Its steps converge, so a run interrupted by a crash is simply run again; operations on one app queue
 * behind each other (objectKey `app:<id>`).
 */
export const APP_TASK_TYPE = defineTaskType<AppTaskArgs>({
  name: APP_TASK,
  args: {
    type: 'object',
    properties: {
      appId: { type: 'string', minLength: 1 },
      op: { type: 'string', enum: OPERATIONS },
      // Checked in full by parseManifest when the update was asked for; here only its kind.
      manifest: { type: 'object', nullable: true, required: [] },
      appStoreId: { type: 'string', nullable: true },
      backupId: { type: 'string', nullable: true },
      cloneOf: { type: 'string', nullable: true },
    },
    required: ['appId', 'op'],
  },
  timeoutMs: 60 * 60_000,
  concurrency: 4,
  idempotent: true,
  onConflict: 'queue',
});

export const appObjectKey = (appId: string) => `app:${appId}`;
