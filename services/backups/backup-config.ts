import path from 'node:path';
import { validationError } from '../core/errors';
import type { S3Target } from './s3-storage';

/** A tenant's backup configuration as stored (setting `backup_config`). */
export interface BackupConfig {
  /** `s3` covers AWS and S3-compatible servers (with `endpoint`). */
  provider: 'filesystem' | 's3';
  format: 'tgz';
  backupFolder: string;
  /** Backups older than this are removed by the cleanup (-1: kept for ever). */
  retentionSecs: number;
  /** How often automatic backups should run (at least 6 hours, as Cloudron). */
  intervalSecs: number;
  /** Encryption password (AES-256-GCM, key by scrypt); null: backups are not encrypted. */
  password: string | null;
  /** provider s3 only. */
  s3?: S3Target;
  /**
   * The tenant's folder on the target when it is not the tenant's id: a box rebuilt from a backup
   * (box-restore.ts) keeps the old box's folder, so its old backups stay readable and new ones land beside them.
   */
  tenantFolder?: string;
}

/** What a client sends: seed 001's BackupConfig, plus `password` (today's Cloudron name for `key`). */
export interface BackupConfigInput {
  provider?: string;
  format?: string;
  backupFolder?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
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
const LATER_PROVIDERS = ['gcs', 'digitalocean-spaces', 'exoscale-sos', 'wasabi', 'scaleway-objectstorage', 'noop'];
/** Names Cloudron uses for S3 and S3-compatible servers: all spoken by the s3 backend. */
const S3_PROVIDERS = ['s3', 'minio', 's3-v4-compat'];

export function defaultBackupConfig(defaultFolder: string): BackupConfig {
  return { provider: 'filesystem', format: 'tgz', backupFolder: defaultFolder, retentionSecs: 2 * 24 * 3600, intervalSecs: 24 * 3600, password: null };
}

/**
 * The new configuration: fields given replace the current ones, fields left out keep them. The password is
 * kept when left out or sent back as `<redacted>`; null or "" turns encryption off.
 */
export interface TargetLimits {
  /** Folders backupFolder must be inside. */
  roots: string[];
  /** Origins an s3 endpoint may name; null: any. */
  endpoints: string[] | null;
}

export function mergeBackupConfig(current: BackupConfig, input: BackupConfigInput, limits: TargetLimits): BackupConfig {
  const given = input.provider ?? current.provider;
  if (LATER_PROVIDERS.includes(given)) throw validationError(`provider ${given} is not supported yet; use filesystem or s3`, { field: 'provider' });
  const provider = S3_PROVIDERS.includes(given) ? 's3' : given;
  if (provider !== 'filesystem' && provider !== 's3') throw validationError(`provider must be filesystem or s3, got ${given}`, { field: 'provider' });
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
    backupFolder: input.backupFolder === undefined ? current.backupFolder : checkFolder(input.backupFolder, limits.roots),
    retentionSecs,
    intervalSecs,
    password: mergePassword(current.password, input),
    ...(provider === 's3' ? { s3: mergeS3(current.s3, input, limits.endpoints) } : {}),
    ...(current.tenantFolder ? { tenantFolder: current.tenantFolder } : {}),
  };
}

/** Bucket and credentials are needed; the secret, like the password, is kept when left out or sent as `<redacted>`. */
function mergeS3(current: S3Target | undefined, input: BackupConfigInput, endpoints: string[] | null): S3Target {
  const secret = input.secretAccessKey === undefined || input.secretAccessKey === REDACTED ? current?.secretAccessKey : input.secretAccessKey;
  const target: S3Target = {
    bucket: input.bucket ?? current?.bucket ?? '',
    prefix: input.prefix ?? current?.prefix ?? '',
    region: input.region ?? current?.region ?? 'us-east-1',
    endpoint: input.endpoint ?? current?.endpoint ?? null,
    accessKeyId: input.accessKeyId ?? current?.accessKeyId ?? '',
    secretAccessKey: secret ?? '',
  };
  for (const field of ['bucket', 'accessKeyId', 'secretAccessKey'] as const) {
    if (!target[field]) throw validationError(`${field} is required for provider s3`, { field });
  }
  if (target.endpoint !== null && !/^https?:\/\/[^/\s]+/.test(target.endpoint)) {
    throw validationError('endpoint must be an http(s) URL', { field: 'endpoint' });
  }
  // The server makes the requests: tenants may only name the servers the operator allows.
  if (target.endpoint !== null && endpoints !== null && !endpoints.includes(new URL(target.endpoint).origin)) {
    throw validationError(`endpoint ${new URL(target.endpoint).origin} is not one the operator allows (${endpoints.join(', ') || 'none'})`, { field: 'endpoint' });
  }
  return target;
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
  const { password, s3, tenantFolder: _folder, ...rest } = config;
  const target = s3
    ? { bucket: s3.bucket, prefix: s3.prefix, region: s3.region, ...(s3.endpoint ? { endpoint: s3.endpoint } : {}), accessKeyId: s3.accessKeyId, secretAccessKey: REDACTED }
    : {};
  return { ...rest, ...target, encrypted: password !== null, ...(password !== null ? { key: REDACTED, password: REDACTED } : {}) };
}
