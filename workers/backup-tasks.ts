import { BOX_BACKUP_TASK, CLEAN_BACKUPS_TASK, VERIFY_BACKUP_TASK } from '../services/backups/backup-service';
import type { BackupRetention } from '../services/backups/backup-retention';
import type { BoxBackups } from '../services/backups/box-backup';
import type { TaskDefinition } from '../services/tasks/task-registry';
import { RESTORE_TASK, type BoxRestore } from '../services/backups/box-restore';

/**
 * Box backups (refused while one runs for the tenant), retention cleanup and verification (queued behind it).
 * A box backup cut short is not re-run from a crash: its row stays `error`/`creating` and a new one is made.
 */
export function backupTaskDefinitions(deps: { box: BoxBackups; retention: BackupRetention; restore: BoxRestore }): TaskDefinition[] {
  return [
    {
      type: BOX_BACKUP_TASK,
      timeoutMs: 6 * 60 * 60_000,
      concurrency: 1,
      idempotent: false,
      onConflict: 'refuse',
      run: (ctx) => deps.box.create(String(ctx.task.args.instanceId), ctx),
    },
    {
      type: CLEAN_BACKUPS_TASK,
      timeoutMs: 60 * 60_000,
      concurrency: 1,
      idempotent: true,
      onConflict: 'queue',
      run: (ctx) => deps.retention.cleanup(String(ctx.task.args.instanceId), ctx),
    },
    {
      type: VERIFY_BACKUP_TASK,
      timeoutMs: 6 * 60 * 60_000,
      concurrency: 1,
      idempotent: true,
      onConflict: 'queue',
      run: (ctx) => deps.retention.verify(String(ctx.task.args.instanceId), String(ctx.task.args.backupId), ctx),
    },
    {
      // Rebuilding a box from its backup: one per tenant, never re-run after a crash (a half-restored box shows
      // the task's error in the status and is restored again by hand).
      type: RESTORE_TASK,
      timeoutMs: 12 * 60 * 60_000,
      concurrency: 1,
      idempotent: false,
      onConflict: 'refuse',
      run: (ctx) => deps.restore.run(String(ctx.task.args.instanceId), ctx),
    },
  ];
}
