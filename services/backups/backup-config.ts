import path from 'node:path';
import { validationError } from '../core/errors';

/** A tenant's backup configuration as stored (setting `backup_config`). */
export interface BackupConfig {
  provider: 'filesystem';
  format: 'tgz';
  backupFolder: string;
  /** Backups older than this are removed by the cleanup (-1: kept for ever). */
  retentionSecs: number;
  /** How often automatic backups should run (at least 6 hours, as Cloudron). */
  intervalSecs: number;
  /** Encryption password (AES-256-GCM, key by scrypt); null: backups are not encrypted. */
  password: string | null;
}

/** What a client sends: seed 001's BackupConfig, plus `password` (today's Cloudron name for `key`). */
export interface BackupConfigInput {
  provider?: string;
  format?: string;
  backupFolder?: string;
  retentionSecs?: number;
  intervalSecs?: number;
  key?: string | null;
  password?: string | null;
  [other: string]: unknown;
}

/** What `GET` shows and what clients send back to mean "keep the current password". */
export const REDACTED = '<redacted>';
export const MIN_INTERVAL_SECS = 6 * 60 * 60;
const MIN_PASSWORD_LENGTH = 8;
/** Seed providers Berth does not speak yet: refused with a clear 400 rather than stored and failing later. */
const LATER_PROVIDERS = ['s3', 'gcs', 'minio', 's3-v4-compat', 'digitalocean-spaces', 'exoscale-sos', 'wasabi', 'scaleway-objectstorage', 'noop'];

export function defaultBackupConfig(defaultFolder: string): BackupConfig {
  return { provider: 'filesystem', format: 'tgz', backupFolder: defaultFolder, retentionSecs: 2 * 24 * 3600, intervalSecs: 24 * 3600, password: null };
}

/**
 * The new configuration: fields given replace the current ones, fields left out keep them. The password is
 * kept when left out or sent back as `<redacted>`; null or "" turns encryption off.
 */
export function mergeBackupConfig(current: BackupConfig, input: BackupConfigInput, allowedRoots: string[]): BackupConfig {
  const provider = input.provider ?? current.provider;
  if (LATER_PROVIDERS.includes(provider)) throw validationError(`provider ${provider} is not supported yet; use filesystem`, { field: 'provider' });
  if (provider !== 'filesystem') throw validationError(`provider must be filesystem, got ${provider}`, { field: 'provider' });
  // `targz` is seed 001's name for what Cloudron now calls `tgz`.
  const format = input.format === 'targz' ? 'tgz' : (input.format ?? current.format);
  if (format === 'rsync') throw validationError('format rsync is not supported yet; use tgz', { field: 'format' });
  if (format !== 'tgz') throw validationError(`format must be tgz, got ${format}`, { field: 'format' });

  const intervalSecs = input.intervalSecs ?? current.intervalSecs;
  if (!Number.isInteger(intervalSecs) || intervalSecs < MIN_INTERVAL_SECS) {
    throw validationError(`intervalSecs must be at least ${MIN_INTERVAL_SECS} (6 hours)`, { field: 'intervalSecs' });
  }
  const retentionSecs = input.retentionSecs ?? current.retentionSecs;
  if (!Number.isInteger(retentionSecs) || (retentionSecs < 1 && retentionSecs !== -1)) {
    throw validationError('retentionSecs must be a positive number of seconds, or -1 to keep backups for ever', { field: 'retentionSecs' });
  }
  return {
    provider,
    format,
    backupFolder: input.backupFolder === undefined ? current.backupFolder : checkFolder(input.backupFolder, allowedRoots),
    retentionSecs,
    intervalSecs,
    password: mergePassword(current.password, input),
  };
}

function mergePassword(current: string | null, input: BackupConfigInput): string | null {
  if (input.key !== undefined && input.password !== undefined && input.key !== input.password) {
    throw validationError('Give the encryption password as key or as password, not both', { field: 'password' });
  }
  const given = input.password !== undefined ? input.password : input.key;
  if (given === undefined || given === REDACTED) return current;
  if (given === null || given === '') return null;
  if (given.length < MIN_PASSWORD_LENGTH) {
    throw validationError(`The encryption password must be at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  }
  return given;
}

/** An absolute folder inside one the operator allows (BERTH_BACKUP_ROOTS): tenants share the machine. */
function checkFolder(raw: string, allowedRoots: string[]): string {
  if (!path.isAbsolute(raw)) throw validationError('backupFolder must be an absolute path', { field: 'backupFolder' });
  const folder = path.resolve(raw);
  const allowed = allowedRoots.some((root) => folder === root || folder.startsWith(root + path.sep));
  if (!allowed) throw validationError(`backupFolder must be inside ${allowedRoots.join(' or ')}`, { field: 'backupFolder' });
  return folder;
}

/** The configuration as the API shows it: the password never leaves. */
export function renderBackupConfig(config: BackupConfig) {
  const { password, ...rest } = config;
  return { ...rest, encrypted: password !== null, ...(password !== null ? { key: REDACTED, password: REDACTED } : {}) };
}
