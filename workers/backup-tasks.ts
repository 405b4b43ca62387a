import { BOX_BACKUP_TASK, CLEAN_BACKUPS_TASK, DRILL_BACKUP_TASK, VERIFY_BACKUP_TASK } from '../services/backups/backup-service';
import type { BackupDrill } from '../services/backups/backup-drill';
import type { BackupRetention } from '../services/backups/backup-retention';
import type { BoxBackups } from '../services/backups/box-backup';
import type { TaskDefinition } from '../services/tasks/task-registry';
import { RESTORE_TASK, type BoxRestore } from '../services/backups/box-restore';

/**
 * Box backups (refused while one runs for the tenant), retention cleanup, verification and restore drills
 * (queued behind it).
 * A box backup cut short is not re-run from a crash: its row stays `error`/`creating` and a new one is made.
 */
export function backupTaskDefinitions(deps: { box: BoxBackups; retention: BackupRetention; drill: BackupDrill; restore: BoxRestore }): TaskDefinition[] {
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
      type: DRILL_BACKUP_TASK,
      timeoutMs: 6 * 60 * 60_000,
      concurrency: 1,
      // Each run works in its own scratch volume and removes it: running it again is safe.
      idempotent: true,
      onConflict: 'queue',
      run: (ctx) => deps.drill.drill(String(ctx.task.args.instanceId), ctx.task.args.backupId as string | undefined, ctx),
    },
    {
      // Rebuilding a box from its backup: one per tenant. Re-run after a crash: before the rebuild nothing was
      // written, after it the run resumes with the apps still to restore (RestoreRequest.rebuilt).
      type: RESTORE_TASK,
      timeoutMs: 12 * 60 * 60_000,
      concurrency: 1,
      idempotent: true,
      onConflict: 'refuse',
      run: (ctx) => deps.restore.run(String(ctx.task.args.instanceId), ctx),
    },
  ];
}
