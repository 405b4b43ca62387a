import type { Backup } from '../../../services/backups/backup-repo';
import type { Handler } from '../../openapi/surface';
import { actorOf, type BoxServices, ok, principalOf } from '../services';

/** A backup as the API shows it: Cloudron's fields, plus its files and their checksums. */
export function renderBackup(backup: Backup) {
  return {
    id: backup.id,
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

function pageOf(query: Record<string, unknown>) {
  return { page: Number(query.page ?? 1), perPage: Number(query.per_page ?? 25) };
}

export function backupHandlers(s: BoxServices): Record<string, Handler> {
  return {
    getBackupConfig: async (call) => ok(await s.backups.config(principalOf(call).instanceId)),
    setBackupConfig: async (call) => {
      await s.backups.setConfig(actorOf(call), call.body);
      return ok({});
    },
    listBackups: async (call) => {
      const type = call.query.type as 'box' | 'app' | undefined;
      const backups = await s.backups.list(principalOf(call).instanceId, { ...pageOf(call.query), type });
      return ok({ backups: backups.map(renderBackup) });
    },
    getBackup: async (call) => ok(renderBackup(await s.backups.get(principalOf(call).instanceId, call.params.backupId))),
    updateBackup: async (call) => ok(renderBackup(await s.backups.update(actorOf(call), call.params.backupId, call.body))),
    createBackup: async (call) => accepted(await s.backups.create(actorOf(call))),
    cleanupBackups: async (call) => accepted(await s.backups.cleanup(actorOf(call))),
    verifyBackup: async (call) => accepted(await s.backups.verify(actorOf(call), call.params.backupId)),
    drillBackup: async (call) => accepted(await s.backups.drill(actorOf(call), (call.body as { backupId?: string } | undefined)?.backupId)),
    backupApp: async (call) => accepted(await s.apps.backup(actorOf(call), call.params.appId)),
    listAppBackups: async (call) => {
      const backups = await s.backups.listForApp(principalOf(call).instanceId, call.params.appId, pageOf(call.query));
      return ok({ backups: backups.map(renderBackup) });
    },
    restoreApp: async (call) => accepted(await s.apps.restore(actorOf(call), call.params.appId, call.body.backupId)),
    cloneApp: async (call) => {
      const { app, taskId } = await s.apps.clone(actorOf(call), call.params.appId, call.body);
      return { status: 201, body: { id: app.id, taskId } };
    },
  };
}
