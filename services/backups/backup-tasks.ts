import { defineTaskType } from '../tasks/task-type';

export const BOX_BACKUP_TASK = 'backup';
export const CLEAN_BACKUPS_TASK = 'cleanBackups';
export const VERIFY_BACKUP_TASK = 'backupVerify';
export const DRILL_BACKUP_TASK = 'backupDrill';
export const RESTORE_TASK = 'restore';

/** Started by the schedule rather than a person (for the audit log). */
export interface ScheduledArgs {
  instanceId: string;
  scheduled?: boolean;
}

const scheduledArgs = {
  type: 'object',
  properties: { instanceId: { type: 'string' }, scheduled: { type: 'boolean', nullable: true } },
  required: ['instanceId'],
} as const;

/**
 * A box backup: refused while one runs for the tenant. One cut short is not re-run from a crash: its row stays
 * `error`/`creating` and a new one is made.
 */
export const BOX_BACKUP_TASK_TYPE = defineTaskType<ScheduledArgs>({
  name: BOX_BACKUP_TASK,
  args: scheduledArgs,
  timeoutMs: 6 * 60 * 60_000,
  concurrency: 1,
  idempotent: false,
  onConflict: 'refuse',
});

/** Retention cleanup, queued behind a running backup. */
export const CLEAN_BACKUPS_TASK_TYPE = defineTaskType<ScheduledArgs>({
  name: CLEAN_BACKUPS_TASK,
  args: scheduledArgs,
  timeoutMs: 60 * 60_000,
  concurrency: 1,
  idempotent: true,
  onConflict: 'queue',
});

export const VERIFY_BACKUP_TASK_TYPE = defineTaskType<{ instanceId: string; backupId: string }>({
  name: VERIFY_BACKUP_TASK,
  args: {
    type: 'object',
    properties: { instanceId: { type: 'string' }, backupId: { type: 'string' } },
    required: ['instanceId', 'backupId'],
  },
  timeoutMs: 6 * 60 * 60_000,
  concurrency: 1,
  idempotent: true,
  onConflict: 'queue',
});

/** A restore drill of `backupId`, or of the newest complete backup. */
export const DRILL_BACKUP_TASK_TYPE = defineTaskType<{ instanceId: string; backupId?: string }>({
  name: DRILL_BACKUP_TASK,
  args: {
    type: 'object',
    properties: { instanceId: { type: 'string' }, backupId: { type: 'string', nullable: true } },
    required: ['instanceId'],
  },
  timeoutMs: 6 * 60 * 60_000,
  concurrency: 1,
  // Each run works in its own scratch volume and removes it: running it again is safe.
  idempotent: true,
  onConflict: 'queue',
});

/**
 * Rebuilding a box from its backup (`backup` is `<folder>/<backupId>`, for people reading the task): one per
 * tenant. Re-run after a crash: before the rebuild nothing was written, after it the run resumes with the apps
 * still to restore (RestoreRequest.rebuilt).
 */
export const RESTORE_TASK_TYPE = defineTaskType<{ instanceId: string; backup: string }>({
  name: RESTORE_TASK,
  args: {
    type: 'object',
    properties: { instanceId: { type: 'string' }, backup: { type: 'string' } },
    required: ['instanceId', 'backup'],
  },
  timeoutMs: 12 * 60 * 60_000,
  concurrency: 1,
  idempotent: true,
  onConflict: 'refuse',
});

export const BACKUP_TASK_TYPES = [BOX_BACKUP_TASK_TYPE, CLEAN_BACKUPS_TASK_TYPE, VERIFY_BACKUP_TASK_TYPE, DRILL_BACKUP_TASK_TYPE, RESTORE_TASK_TYPE];
