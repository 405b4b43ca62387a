/**
 * The shape of one scheduled job, whatever it came from (an Ofelia INI file today; labels, manifests and the API
 * later). Fields are Ofelia's configuration keys, camelCased (`working-dir` → `workingDir`, `no-overlap` →
 * `noOverlap`). A field a source did not give is left out: defaults (Ofelia's `delete = true`,
 * `history-limit = 10`, ...) are applied where jobs are scheduled, not here, so a source reads back as it was written.
 * Schedules are kept as written; the schedule parser validates them.
 */
export const JOB_TYPES = ['exec', 'run', 'local', 'service-run'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/**
 * Where a job was defined: an INI file (`line` is its section header's), an `ofelia.*` label on a container, an
 * app's manifest (Cloudron's `scheduler` addon) or the API. Only API jobs may be deleted through the API.
 */
export type JobSource =
  | { kind: 'file'; path: string; line: number }
  | { kind: 'label'; containerId: string; containerName: string }
  | { kind: 'manifest'; appId: string }
  | { kind: 'api' };

export interface JobSpec {
  name: string;
  type: JobType;
  schedule: string;
  command?: string;
  container?: string;
  image?: string;
  user?: string;
  tty?: boolean;
  /** `KEY=value` entries, one per repeated `environment` key. */
  environment: string[];
  /** Ofelia's `working-dir` (exec, run) and `dir` (local, service-run): the directory the command runs in. */
  workingDir?: string;
  volume: string[];
  volumesFrom: string[];
  network?: string;
  hostname?: string;
  entrypoint?: string;
  containerName?: string;
  privileged?: boolean;
  noOverlap?: boolean;
  historyLimit?: number;
  runOnStartup?: boolean;
  maxRetries?: number;
  retryDelayMs?: number;
  retryExponential?: boolean;
  retryMaxDelayMs?: number;
  /** A Go duration as written (`24h`, `90s`); parsed where it is enforced. */
  maxRuntime?: string;
  delete?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
  annotations: string[];
  dependsOn: string[];
  onSuccess: string[];
  onFailure: string[];
  /** netresearch's per-job `webhooks = a, b`. */
  webhooks?: string[];
  /** Every other key of the section (mail, slack, save settings, ...), lower-cased, kept as written. */
  extra: Record<string, string | string[]>;
  source: JobSource;
}

/** The defaults Ofelia applies when a key is absent: for the scheduler, not the parser. */
export const OFELIA_JOB_DEFAULTS = {
  delete: true,
  historyLimit: 10,
  maxRetries: 0,
  retryDelayMs: 1000,
  retryExponential: true,
  retryMaxDelayMs: 60_000,
} as const;

type ListField = 'environment' | 'volume' | 'volumesFrom' | 'annotations' | 'dependsOn' | 'onSuccess' | 'onFailure';
type StringField =
  | 'schedule'
  | 'command'
  | 'container'
  | 'image'
  | 'user'
  | 'workingDir'
  | 'network'
  | 'hostname'
  | 'entrypoint'
  | 'containerName'
  | 'maxRuntime'
  | 'stopSignal'
  | 'stopTimeout';
type BoolField = 'tty' | 'privileged' | 'noOverlap' | 'runOnStartup' | 'retryExponential' | 'delete';
type IntField = 'historyLimit' | 'maxRetries' | 'retryDelayMs' | 'retryMaxDelayMs';

export type FieldRule =
  | { kind: 'list'; field: ListField }
  | { kind: 'string'; field: StringField }
  | { kind: 'bool'; field: BoolField }
  | { kind: 'int'; field: IntField }
  | { kind: 'csv'; field: 'webhooks' };

const list = (field: ListField): FieldRule => ({ kind: 'list', field });
const str = (field: StringField): FieldRule => ({ kind: 'string', field });
const bool = (field: BoolField): FieldRule => ({ kind: 'bool', field });
const int = (field: IntField): FieldRule => ({ kind: 'int', field });

/** Ofelia's job keys (lower-case, as written in INI files and labels) and the JobSpec field each fills. */
export const JOB_KEYS: Readonly<Record<string, FieldRule>> = {
  schedule: str('schedule'),
  command: str('command'),
  container: str('container'),
  image: str('image'),
  user: str('user'),
  tty: bool('tty'),
  environment: list('environment'),
  'working-dir': str('workingDir'),
  dir: str('workingDir'),
  volume: list('volume'),
  'volumes-from': list('volumesFrom'),
  network: str('network'),
  hostname: str('hostname'),
  entrypoint: str('entrypoint'),
  'container-name': str('containerName'),
  privileged: bool('privileged'),
  'no-overlap': bool('noOverlap'),
  'history-limit': int('historyLimit'),
  'run-on-startup': bool('runOnStartup'),
  'max-retries': int('maxRetries'),
  'retry-delay-ms': int('retryDelayMs'),
  'retry-exponential': bool('retryExponential'),
  'retry-max-delay-ms': int('retryMaxDelayMs'),
  'max-runtime': str('maxRuntime'),
  delete: bool('delete'),
  'stop-signal': str('stopSignal'),
  'stop-timeout': str('stopTimeout'),
  annotations: list('annotations'),
  'depends-on': list('dependsOn'),
  'on-success': list('onSuccess'),
  'on-failure': list('onFailure'),
  webhooks: { kind: 'csv', field: 'webhooks' },
};

/** Keys that may repeat in an INI section (Ofelia's shadow keys). `extra` keys repeat too, as lists. */
export function isRepeatableJobKey(key: string): boolean {
  const rule = JOB_KEYS[key];
  return rule === undefined || rule.kind === 'list';
}

/** Go's strconv.ParseBool plus gcfg's yes/no/on/off; undefined when the text is not a boolean. */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (['1', 't', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'f', 'false', 'no', 'off'].includes(t)) return false;
  return undefined;
}

/** A non-negative decimal integer; undefined otherwise. */
export function parseCount(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,15}$/.test(t)) return undefined;
  return Number(t);
}

export function emptyJob(name: string, type: JobType, source: JobSource): JobSpec {
  return {
    name,
    type,
    schedule: '',
    environment: [],
    volume: [],
    volumesFrom: [],
    annotations: [],
    dependsOn: [],
    onSuccess: [],
    onFailure: [],
    extra: {},
    source,
  };
}
