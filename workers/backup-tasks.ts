import type { BackupDrill } from '../services/backups/backup-drill';
import type { BackupRetention } from '../services/backups/backup-retention';
import {
  BOX_BACKUP_TASK_TYPE, CLEAN_BACKUPS_TASK_TYPE, DRILL_BACKUP_TASK_TYPE, RESTORE_TASK_TYPE, VERIFY_BACKUP_TASK_TYPE,
} from '../services/backups/backup-tasks';
import type { BoxBackups } from '../services/backups/box-backup';
import type { BoxRestore } from '../services/backups/box-restore';
import { handle } from '../services/tasks/task-handler';

/** Box backups, retention cleanup, verification, restore drills and rebuilding a box (types in services/backups/backup-tasks.ts). */
export function backupTaskHandlers(deps: { box: BoxBackups; retention: BackupRetention; drill: BackupDrill; restore: BoxRestore }) {
  return [
    handle(BOX_BACKUP_TASK_TYPE, (ctx) => deps.box.create(ctx.args.instanceId, ctx)),
    handle(CLEAN_BACKUPS_TASK_TYPE, (ctx) => deps.retention.cleanup(ctx.args.instanceId, ctx)),
    handle(VERIFY_BACKUP_TASK_TYPE, (ctx) => deps.retention.verify(ctx.args.instanceId, ctx.args.backupId, ctx)),
    handle(DRILL_BACKUP_TASK_TYPE, (ctx) => deps.drill.drill(ctx.args.instanceId, ctx.args.backupId, ctx)),
    handle(RESTORE_TASK_TYPE, (ctx) => deps.restore.run(ctx.args.instanceId, ctx)),
  ];
}
