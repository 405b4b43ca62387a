import { BOX_BACKUP_TASK_TYPE, CLEAN_BACKUPS_TASK_TYPE, DRILL_BACKUP_TASK_TYPE, VERIFY_BACKUP_TASK_TYPE } from './backup-tasks';
import type { TaskType } from '../tasks/task-type';
import type { Clock } from '../core/clock';
import { notFound, validationError } from '../core/errors';
import type { AppRepo } from '../apps/app-repo';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { TaskService } from '../tasks/task-service';
import { mergeBackupConfig, renderBackupConfig, type BackupConfig, type BackupConfigInput, type TargetLimits } from './backup-config';
import type { Backup, BackupRepo, BackupType } from './backup-repo';
import type { BackupTargets } from './backup-target';


export interface BackupServiceDeps {
  backups: BackupRepo;
  apps: AppRepo;
  tasks: TaskService;
  targets: BackupTargets;
  eventlog: EventlogService;
  clock: Clock;
  /** Where targets may be (BERTH_BACKUP_ROOTS, BERTH_BACKUP_S3_ENDPOINTS). */
  limits: TargetLimits;
}

/** The backups API: configuration, lists, and the box-wide tasks (app backups and restores are app operations). */
export class BackupService {
  constructor(private readonly deps: BackupServiceDeps) {}

  async config(instanceId: string) {
    return renderBackupConfig(await this.deps.targets.config(instanceId));
  }

  /** Checked with a live write, read back and delete on the target before it is stored. */
  async setConfig(actor: Actor, input: BackupConfigInput): Promise<void> {
    const current = await this.deps.targets.config(actor.instanceId);
    const next = mergeBackupConfig(current, input, this.deps.limits);
    await this.deps.targets.check(next, actor.instanceId);
    await this.deps.targets.save(actor.instanceId, next);
    await this.deps.eventlog.record(actor, 'backups.config', null, { changes: describe(current, next) });
  }

  /** The tenant's folder on its target, which the backups' `remotePath` starts with. */
  async folder(instanceId: string): Promise<string> {
    return this.deps.targets.folder(await this.deps.targets.config(instanceId), instanceId);
  }

  list(instanceId: string, query: { page: number; perPage: number; type?: BackupType }): Promise<Backup[]> {
    return this.deps.backups.list({ instanceId, ...query });
  }

  /** 404 for an app the tenant does not have. */
  async listForApp(instanceId: string, appId: string, query: { page: number; perPage: number }): Promise<Backup[]> {
    if (!(await this.deps.apps.get(instanceId, appId))) throw notFound('No such app');
    return this.deps.backups.list({ instanceId, type: 'app', identifier: appId, ...query });
  }

  async get(instanceId: string, id: string): Promise<Backup> {
    const backup = await this.deps.backups.get(instanceId, id);
    if (!backup) throw notFound('No such backup');
    return backup;
  }

  /** Cloudron's "update backup": a label, and how long to keep it whatever the retention (0: no longer than it). */
  async update(actor: Actor, id: string, input: { label?: string; preserveSecs?: number }): Promise<Backup> {
    const backup = await this.get(actor.instanceId, id);
    const patch: { label?: string; preserveSecs?: number } = {};
    if (input.label !== undefined) patch.label = input.label.trim();
    if (input.preserveSecs !== undefined) patch.preserveSecs = input.preserveSecs;
    await this.deps.backups.update(backup.id, patch, this.deps.clock().toISOString());
    await this.deps.eventlog.record(actor, 'backup.update', backup.id, { changes: patch });
    return { ...backup, ...patch };
  }

  /** One box backup at a time per tenant: a second one while the first runs is 409. */
  async create(actor: Actor): Promise<number> {
    return this.startTask(actor, BOX_BACKUP_TASK_TYPE, { instanceId: actor.instanceId }, 'backup.start');
  }

  /** An automatic backup (BackupSchedule), recorded as the system's; a cleanup queues behind it. */
  async startScheduled(instanceId: string): Promise<number> {
    const system: Actor = { instanceId, userId: null, tokenId: null, ip: null };
    const taskId = await this.startTask(system, BOX_BACKUP_TASK_TYPE, { instanceId, scheduled: true }, 'backup.start');
    await this.startTask(system, CLEAN_BACKUPS_TASK_TYPE, { instanceId, scheduled: true }, 'backup.cleanup');
    return taskId;
  }

  /** The daily cleanup (BackupSchedule), recorded as the system's. */
  async startScheduledCleanup(instanceId: string): Promise<number> {
    return this.startTask({ instanceId, userId: null, tokenId: null, ip: null }, CLEAN_BACKUPS_TASK_TYPE, { instanceId, scheduled: true }, 'backup.cleanup');
  }

  async cleanup(actor: Actor): Promise<number> {
    return this.startTask(actor, CLEAN_BACKUPS_TASK_TYPE, { instanceId: actor.instanceId }, 'backup.cleanup');
  }

  async verify(actor: Actor, id: string): Promise<number> {
    await this.get(actor.instanceId, id);
    return this.startTask(actor, VERIFY_BACKUP_TASK_TYPE, { instanceId: actor.instanceId, backupId: id }, 'backup.verify', id);
  }

  /** A restore drill of `id`, or (none given) of the newest complete backup: 404 when there is none. */
  async drill(actor: Actor, id: string | undefined): Promise<number> {
    if (id) {
      const backup = await this.get(actor.instanceId, id);
      if (backup.state !== 'normal') throw validationError(`Backup ${id} is not complete (state ${backup.state}); only complete backups can be drilled`, { field: 'backupId' });
    } else if (!(await this.deps.backups.listAll(actor.instanceId)).some((b) => b.state === 'normal')) {
      throw notFound('There is no complete backup to drill yet');
    }
    return this.startTask(actor, DRILL_BACKUP_TASK_TYPE, id ? { instanceId: actor.instanceId, backupId: id } : { instanceId: actor.instanceId }, 'backup.drill', id ?? null);
  }

  private async startTask<A>(actor: Actor, type: TaskType<A>, args: A, action: string, target: string | null = null): Promise<number> {
    const task = await this.deps.tasks.create(type, {
      instanceId: actor.instanceId,
      args,
      objectKey: `backups:${actor.instanceId}`,
      createdBy: actor.userId ?? undefined,
    });
    await this.deps.eventlog.record(actor, action, target, { taskId: task.id });
    return task.id;
  }
}

/** What changed, for the audit log; the password only as set, changed or removed. */
function describe(before: BackupConfig, after: BackupConfig) {
  const changes: Record<string, unknown> = {};
  for (const key of ['provider', 'format', 'backupFolder', 'retentionSecs', 'intervalSecs', 'encryptedFilenames', 'syncConcurrency'] as const) {
    if (before[key] !== after[key]) changes[key] = { before: before[key], after: after[key] };
  }
  for (const key of ['bucket', 'prefix', 'region', 'endpoint', 'accessKeyId'] as const) {
    if (before.s3?.[key] !== after.s3?.[key]) changes[key] = { before: before.s3?.[key] ?? null, after: after.s3?.[key] ?? null };
  }
  if (before.password !== after.password) changes.encryption = after.password === null ? 'removed' : before.password === null ? 'set' : 'changed';
  return changes;
}
