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

  /** Everything the tenant has on its current target. */
  async removeAll(instanceId: string): Promise<void> {
    await this.storage(await this.config(instanceId), instanceId).removeAll();
  }

  storage(config: BackupConfig, instanceId: string): BackupStorage {
    if (this.deps.storageFor) return this.deps.storageFor(config, instanceId);
    if (config.provider === 's3' && config.s3) return new S3Storage(config.s3, instanceId);
    return new FilesystemStorage(config.backupFolder, instanceId);
  }
}
