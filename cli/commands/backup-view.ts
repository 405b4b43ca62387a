import type { components } from '../generated/box';
import { when } from '../ui/format';
import { record, table } from '../ui/table';

type Backup = components['schemas']['Backup'];
type BackupConfig = components['schemas']['BackupConfig'];

/** Bytes as people read sizes on disk: `1536` → `1.5 KiB`. */
function size(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit ? `${n.toFixed(1)} ${units[unit]}` : `${n} B`;
}

/** Seconds as a duration: `604800` → `7d`, `-1` → `forever`. */
export function duration(secs: number): string {
  if (secs < 0) return 'forever';
  for (const [unit, length] of [['d', 86400], ['h', 3600], ['m', 60]] as const) if (secs && secs % length === 0) return `${secs / length}${unit}`;
  return `${secs}s`;
}

/** Backups as a table: ID, TYPE, APP, STATE, SIZE, ENCRYPTED, CREATED, LABEL. */
export function backupTable(backups: Backup[]): string {
  return table(
    ['ID', 'TYPE', 'APP', 'VERSION', 'STATE', 'SIZE', 'ENCRYPTED', 'CREATED', 'LABEL'],
    backups.map((b) => [b.id, b.type, b.type === 'app' ? b.identifier : '', b.version, b.state, size(b.size), b.encrypted ? 'yes' : 'no', when(b.creationTime), b.label]),
  );
}

export function describeBackup(b: Backup): string {
  return record([
    ['ID', b.id],
    ['Type', b.type],
    ['App', b.type === 'app' ? `${b.identifier}${b.manifest ? ` (${b.manifest.title} ${b.manifest.version})` : ''}` : null],
    ['Version', b.version],
    ['State', b.error ? `${b.state}: ${b.error}` : b.state],
    ['Format', b.format],
    ['Encrypted', b.encrypted ? 'yes' : 'no'],
    ['Size', size(b.size)],
    ['Created', when(b.creationTime)],
    ['Preserve', b.preserveSecs ? `${duration(b.preserveSecs)} after creation` : null],
    ['Label', b.label],
    ['Depends on', b.dependsOn.join(', ')],
    ['Files', b.files.map((f) => `${f.name} (${size(f.size)}, sha256 ${f.sha256.slice(0, 12)}…)`).join(', ')],
  ]);
}

/** The backup configuration; the server has already replaced secrets with `<redacted>`. */
export function describeConfig(c: BackupConfig): string {
  const s3 = c.provider === 's3';
  return record([
    ['Provider', c.provider],
    ['Format', c.format],
    ...(s3
      ? ([
          ['Bucket', c.bucket],
          ['Prefix', c.prefix],
          ['Region', c.region],
          ['Endpoint', c.endpoint],
          ['Access key id', c.accessKeyId],
          ['Secret key', c.secretAccessKey ? '<redacted>' : null],
        ] as Array<[string, string | undefined | null]>)
      : ([['Folder', c.backupFolder]] as Array<[string, string]>)),
    ['Retention', duration(c.retentionSecs)],
    ['Interval', duration(c.intervalSecs)],
    ['Encrypted', c.encrypted ? 'yes (password <redacted>)' : 'no'],
  ]);
}
