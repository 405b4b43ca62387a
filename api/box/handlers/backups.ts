import type { Backup } from '../../../services/backups/backup-repo';
import type { BoxHandlers } from '../handler-types';
import { actorOf, type BoxServices, ok, principalOf } from '../services';

/**
 * A backup as the API shows it: Cloudron's fields, plus its files and their checksums. `remotePath` is where it
 * is on the target below the backup folder or prefix (`<tenant folder>/<id>`): what a restore asks for.
 */
export function renderBackup(backup: Backup, folder: string) {
  return {
    id: backup.id,
    remotePath: `${folder}/${backup.remotePath}`,
    creationTime: backup.createdAt,
    version: backup.version,
    type: backup.type,
    identifier: backup.identifier,
    ...(backup.type === 'app' ? { appId: backup.identifier } : {}),
    dependsOn: backup.dependsOn,
    state: backup.state,
    format: backup.format,
    encrypted: backup.encrypted,
    preserveSecs: backup.preserveSecs,
    label: backup.label,
    size: backup.size,
    files: backup.files,
    manifest: backup.manifest,
    error: backup.error,
  };
}

const accepted = (taskId: number) => ({ status: 202, body: { taskId } });

function pageOf(query: { page?: number; per_page?: number }) {
  return { page: query.page ?? 1, perPage: query.per_page ?? 25 };
}

export function backupHandlers(s: BoxServices) {
  return {
    getBackupConfig: async (call) => ok(await s.backups.config(principalOf(call).instanceId)),
    setBackupConfig: async (call) => {
      await s.backups.setConfig(actorOf(call), call.body);
      return ok({});
    },
    listBackups: async (call) => {
      const { instanceId } = principalOf(call);
      const folder = await s.backups.folder(instanceId);
      const backups = await s.backups.list(instanceId, { ...pageOf(call.query), type: call.query.type });
      return ok({ backups: backups.map((b) => renderBackup(b, folder)) });
    },
    getBackup: async (call) => {
      const { instanceId } = principalOf(call);
      return ok(renderBackup(await s.backups.get(instanceId, call.params.backupId), await s.backups.folder(instanceId)));
    },
    updateBackup: async (call) => ok(renderBackup(await s.backups.update(actorOf(call), call.params.backupId, call.body), await s.backups.folder(principalOf(call).instanceId))),
    createBackup: async (call) => accepted(await s.backups.create(actorOf(call))),
    cleanupBackups: async (call) => accepted(await s.backups.cleanup(actorOf(call))),
    verifyBackup: async (call) => accepted(await s.backups.verify(actorOf(call), call.params.backupId)),
    drillBackup: async (call) => accepted(await s.backups.drill(actorOf(call), call.body?.backupId)),
    backupApp: async (call) => accepted(await s.apps.backup(actorOf(call), call.params.appId)),
    listAppBackups: async (call) => {
      const { instanceId } = principalOf(call);
      const backups = await s.backups.listForApp(instanceId, call.params.appId, pageOf(call.query));
      const folder = await s.backups.folder(instanceId);
      return ok({ backups: backups.map((b) => renderBackup(b, folder)) });
    },
    restoreApp: async (call) => accepted(await s.apps.restore(actorOf(call), call.params.appId, call.body.backupId)),
    cloneApp: async (call) => {
      const { app, taskId } = await s.apps.clone(actorOf(call), call.params.appId, call.body);
      return { status: 201, body: { id: app.id, taskId } };
    },
  } satisfies Partial<BoxHandlers>;
}
