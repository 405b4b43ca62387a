import { BerthError, conflict, forbidden, notFound, validationError } from '../core/errors';
import type { SettingsRepo } from '../settings/settings-repo';
import type { TaskRepo } from '../tasks/task-repo';
import type { Instance, InstanceRepo } from '../instances/instance-repo';
import type { EventlogService } from '../eventlog/eventlog-service';
import type { TaskService } from '../tasks/task-service';
import { mergeBackupConfig, type BackupConfig, type BackupConfigInput, type TargetLimits } from '../backups/backup-config';
import type { BackupTargets } from '../backups/backup-target';
import { probeIndex } from '../backups/box-backup-index';
import { RESTORE_SETTING, type RestoreRequest } from '../backups/box-restore';
import { RESTORE_TASK_TYPE } from '../backups/backup-tasks';
import { SETTING_ACTIVATED, type ProgressState } from './dashboard-setup';

/** `POST /cloudron/restore`: seed 001's body, plus today's Cloudron's `remotePath`. */
export interface RestoreInput {
  backupConfig: BackupConfigInput;
  /** `<old tenant folder>/<box backup id>` as the old box's backups list shows in `remotePath`; a bare id means this box's own folder. */
  backupId: string;
  remotePath?: string;
  version: string;
  sysinfoConfig?: unknown;
}

const FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BOX_BACKUP_ID = /^box-[A-Za-z0-9-]{1,64}$/;
const IDLE: ProgressState = { active: false, message: '', errorMessage: null };

/**
 * Before activation, a box can be rebuilt from a box backup: the request is checked here (the target the same
 * way as `POST /settings/backup_config`, the backup found on it), and the `restore` task (BoxRestore) does the
 * rest. Its progress and outcome show in `restore` of `GET /cloudron/status`.
 */
export class RestoreService {
  constructor(
    private readonly deps: {
      settings: SettingsRepo;
      instances: InstanceRepo;
      taskRepo: TaskRepo;
      tasks: TaskService;
      targets: BackupTargets;
      eventlog: EventlogService;
      limits: TargetLimits;
    },
  ) {}

  async start(instance: Instance, input: RestoreInput, ip: string | null): Promise<number> {
    const { settings, taskRepo, targets } = this.deps;
    if (await settings.get(instance.id, SETTING_ACTIVATED)) {
      throw new BerthError('ALREADY_ACTIVATED', 409, 'The box is activated: a box can only be restored from a backup before activation');
    }
    const [running] = await taskRepo.unfinishedOn(objectKey(instance.id));
    if (running) throw conflict(`A restore is already running (task ${running.id})`, { taskId: running.id });

    const { folder, backupId } = parseLocation(input.remotePath ?? input.backupId, instance.id);
    await this.refuseOtherTenants(instance.id, folder);
    // The folder is the backup's, whatever this box had configured.
    const { tenantFolder: _current, ...merged } = mergeBackupConfig(await targets.config(instance.id), input.backupConfig, this.deps.limits);
    const config: BackupConfig = folder === instance.id ? merged : { ...merged, tenantFolder: folder };
    await targets.check(config, instance.id);
    const found = await probeIndex(targets.storage(config, instance.id), backupId);
    if (!found) throw notFound(`There is no box backup ${folder}/${backupId} on the target (no ${backupId}/index.json in folder ${folder})`);
    if (found.encrypted && !config.password) {
      throw validationError('The backup is encrypted: give the password it was made with as backupConfig.password', { field: 'backupConfig.password' });
    }

    const request: RestoreRequest = { folder, backupId, version: input.version, config, taskId: null, message: 'Waiting for a worker', errorMessage: null };
    await settings.set(instance.id, RESTORE_SETTING, request);
    const task = await this.deps.tasks
      .create(RESTORE_TASK_TYPE, { instanceId: instance.id, args: { instanceId: instance.id, backup: `${folder}/${backupId}` }, objectKey: objectKey(instance.id) })
      .catch(async (err) => {
        await settings.set(instance.id, RESTORE_SETTING, { ...request, config: null, message: '', errorMessage: (err as Error).message });
        throw err;
      });
    await this.deps.eventlog.record({ instanceId: instance.id, userId: null, tokenId: null, ip }, 'cloudron.restore.start', `${folder}/${backupId}`, { taskId: task.id, provider: config.provider });
    return task.id;
  }

  /** The restore's part of the status: the running task's progress, or how the last restore ended. */
  async status(instanceId: string): Promise<ProgressState> {
    const request = await this.deps.settings.get<RestoreRequest>(instanceId, RESTORE_SETTING);
    if (!request) return IDLE;
    const task = request.taskId === null ? undefined : await this.deps.taskRepo.get(request.taskId);
    if ((request.taskId === null && request.config) || (task && (task.state === 'pending' || task.state === 'active'))) {
      return { active: true, message: task?.message || request.message, errorMessage: null };
    }
    // A task that ended without writing its outcome (its worker died) tells it through its own error.
    const errorMessage = request.errorMessage ?? (request.config && task?.error ? task.error.message : null);
    return { active: false, message: request.message, errorMessage };
  }

  /**
   * Tenants share the machine's backup folders: a folder named for another tenant of this box is that
   * tenant's, and a tenant that is not activated yet must not read it.
   */
  private async refuseOtherTenants(instanceId: string, folder: string): Promise<void> {
    if (folder !== instanceId && (await this.deps.instances.get(folder))) {
      throw forbidden(`Backup folder ${folder} belongs to another tenant of this box`);
    }
  }
}

function objectKey(instanceId: string) {
  return `restore:${instanceId}`;
}

/** `<folder>/<box backup id>`, or a bare id in this tenant's own folder. */
function parseLocation(raw: string, instanceId: string): { folder: string; backupId: string } {
  const parts = raw.trim().replace(/^\/+|\/+$/g, '').split('/');
  const [folder, backupId] = parts.length === 1 ? [instanceId, parts[0]] : parts;
  if (parts.length > 2 || !FOLDER.test(folder) || !BOX_BACKUP_ID.test(backupId ?? '')) {
    throw validationError('backupId must be a box backup as the old box shows it in remotePath: <folder>/box-…', { field: 'backupId' });
  }
  return { folder, backupId };
}
