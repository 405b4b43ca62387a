import { validationError } from '../core/errors';
import type { SettingsRepo } from '../settings/settings-repo';
import { defaultBackupConfig, type BackupConfig } from './backup-config';
import { FilesystemStorage, type BackupStorage } from './backup-storage';
import { S3Storage } from './s3-storage';

export const BACKUP_CONFIG_SETTING = 'backup_config';

/** A tenant's backup configuration and the storage it names. */
export class BackupTargets {
  constructor(private readonly deps: { settings: SettingsRepo; defaultFolder: string; storageFor?: (config: BackupConfig, instanceId: string) => BackupStorage }) {}

  async config(instanceId: string): Promise<BackupConfig> {
    const stored = await this.deps.settings.get<BackupConfig>(instanceId, BACKUP_CONFIG_SETTING);
    return { ...defaultBackupConfig(this.deps.defaultFolder), ...stored };
  }

  async save(instanceId: string, config: BackupConfig): Promise<void> {
    await this.deps.settings.set(instanceId, BACKUP_CONFIG_SETTING, config);
  }

  /** A live write, read back and delete on the target: 400 naming the reason when it cannot be used. */
  async check(config: BackupConfig, instanceId: string): Promise<void> {
    try {
      await this.storage(config, instanceId).check();
    } catch (err) {
      const where = config.provider === 's3' ? `The bucket ${config.s3?.bucket}` : `The backup folder ${config.backupFolder}`;
      throw validationError(`${where} cannot be used: ${(err as Error).message}`, { field: config.provider === 's3' ? 'bucket' : 'backupFolder' });
    }
  }

  /** Everything the tenant has on its current target. */
  async removeAll(instanceId: string): Promise<void> {
    await this.storage(await this.config(instanceId), instanceId).removeAll();
  }

  /** The tenant's folder on the target: its id, or the old box's folder after a restore. */
  folder(config: BackupConfig, instanceId: string): string {
    return config.tenantFolder ?? instanceId;
  }

  storage(config: BackupConfig, instanceId: string): BackupStorage {
    const folder = this.folder(config, instanceId);
    if (this.deps.storageFor) return this.deps.storageFor(config, folder);
    if (config.provider === 's3' && config.s3) return new S3Storage(config.s3, folder);
    return new FilesystemStorage(config.backupFolder, folder);
  }
}
