import { forbidden, validationError } from '../core/errors';
import { parseGoDuration } from './go-duration';
import { OFELIA_JOB_DEFAULTS, emptyJob, type JobSpec, type JobType } from './job-spec';
import { parseSchedule } from './schedule';

/** A job as the API takes it (seed 000's fields, camelCased as the seed writes them). */
export interface JobInput {
  type?: JobType;
  schedule?: string;
  command?: string;
  container?: string;
  image?: string;
  user?: string;
  tty?: boolean;
  environment?: string[];
  workingDir?: string;
  volume?: string[];
  network?: string;
  noOverlap?: boolean;
  historyLimit?: number;
  runOnStartup?: boolean;
  maxRetries?: number;
  maxRuntime?: string;
  delete?: boolean;
  enabled?: boolean;
}

/** The limits a job must keep, whatever its source; the API's document repeats them so clients see them. */
export const JOB_LIMITS = {
  commandBytes: 8192,
  environmentEntries: 100,
  historyLimit: { min: 1, max: 1000 },
  maxRetries: 10,
  maxRuntimeMs: 24 * 60 * 60_000,
} as const;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]*=/;
const NANOS_PER_MS = 1_000_000n;

export function checkJobName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw validationError('name must be 1-200 letters, digits, dots, dashes or underscores, starting with a letter or digit', { field: 'name' });
  }
}

/** A new API job from its body: `type` and `schedule` are required. */
export function specFromInput(name: string, input: JobInput): JobSpec {
  checkJobName(name);
  if (!input.type) throw validationError('type is required (exec, run, local or service-run)', { field: 'type' });
  return mergeInput(emptyJob(name, input.type, { kind: 'api' }), input);
}

/** An API job changed by a body: what the body names replaces the stored value. */
export function mergeInput(base: JobSpec, input: JobInput): JobSpec {
  const spec: JobSpec = { ...base, type: input.type ?? base.type };
  const fields = ['schedule', 'command', 'container', 'image', 'user', 'tty', 'workingDir', 'network', 'noOverlap', 'historyLimit', 'runOnStartup', 'maxRetries', 'maxRuntime', 'delete'] as const;
  for (const field of fields) if (input[field] !== undefined) (spec as unknown as Record<string, unknown>)[field] = input[field];
  if (input.environment !== undefined) spec.environment = input.environment;
  if (input.volume !== undefined) spec.volume = input.volume;
  return spec;
}

/**
 * Checks what every job must hold, whatever its source, naming the field that fails: a schedule that parses
 * (400 INVALID_SCHEDULE), a command within the size limit, `KEY=value` environment entries, limits in range, and
 * what the type needs (a container for exec, an image or container for run, an image and a network for
 * service-run). `local` runs on the host: only the operator's jobs (the INI file) may be local (403).
 */
export function checkSpec(spec: JobSpec, operator: boolean, field = (name: string) => name): void {
  parseSchedule(spec.schedule, field('schedule'));
  if (spec.type === 'local' && !operator) {
    throw forbidden('local jobs run commands on the host: only the operator defines them, in the INI file');
  }
  if (!spec.command && (spec.type === 'exec' || spec.type === 'local')) throw validationError(`${field('command')} is required for ${spec.type} jobs`, { field: field('command') });
  if (spec.command && Buffer.byteLength(spec.command) > JOB_LIMITS.commandBytes) {
    throw validationError(`${field('command')} is longer than ${JOB_LIMITS.commandBytes} bytes`, { field: field('command') });
  }
  if (spec.type === 'exec' && !spec.container) throw validationError(`${field('container')} is required for exec jobs`, { field: field('container') });
  if (spec.type === 'run' && !spec.image && !spec.container) {
    throw validationError(`${field('image')} (or container, to start an existing one) is required for run jobs`, { field: field('image') });
  }
  if (spec.type === 'service-run' && !spec.image) throw validationError(`${field('image')} is required for service-run jobs`, { field: field('image') });
  if (spec.environment.length > JOB_LIMITS.environmentEntries) {
    throw validationError(`${field('environment')} holds more than ${JOB_LIMITS.environmentEntries} entries`, { field: field('environment') });
  }
  spec.environment.forEach((entry, i) => {
    if (!ENV_RE.test(entry)) throw validationError(`${field('environment')}[${i}] must be KEY=value`, { field: field('environment') });
  });
  const history = spec.historyLimit ?? OFELIA_JOB_DEFAULTS.historyLimit;
  if (!Number.isInteger(history) || history < JOB_LIMITS.historyLimit.min || history > JOB_LIMITS.historyLimit.max) {
    throw validationError(`${field('historyLimit')} must be between ${JOB_LIMITS.historyLimit.min} and ${JOB_LIMITS.historyLimit.max}`, { field: field('historyLimit') });
  }
  const retries = spec.maxRetries ?? 0;
  if (!Number.isInteger(retries) || retries < 0 || retries > JOB_LIMITS.maxRetries) {
    throw validationError(`${field('maxRetries')} must be between 0 and ${JOB_LIMITS.maxRetries}`, { field: field('maxRetries') });
  }
  maxRuntimeMs(spec, field);
}

/** The job's time limit: its `max-runtime` (a Go duration), at most Ofelia's 24 h default. */
export function maxRuntimeMs(spec: JobSpec, field = (name: string) => name): number {
  if (!spec.maxRuntime) return JOB_LIMITS.maxRuntimeMs;
  let nanos: bigint;
  try {
    nanos = parseGoDuration(spec.maxRuntime);
  } catch {
    throw validationError(`${field('maxRuntime')} must be a duration such as 90s, 30m or 2h`, { field: field('maxRuntime') });
  }
  const ms = Number(nanos / NANOS_PER_MS);
  if (ms < 1000 || ms > JOB_LIMITS.maxRuntimeMs) throw validationError(`${field('maxRuntime')} must be between 1s and 24h`, { field: field('maxRuntime') });
  return ms;
}

/** The delay before retry `attempt` (1-based): Ofelia's exponential backoff from retry-delay-ms, capped. */
export function retryDelayMs(spec: JobSpec, attempt: number): number {
  const base = spec.retryDelayMs ?? OFELIA_JOB_DEFAULTS.retryDelayMs;
  const max = spec.retryMaxDelayMs ?? OFELIA_JOB_DEFAULTS.retryMaxDelayMs;
  const exponential = spec.retryExponential ?? OFELIA_JOB_DEFAULTS.retryExponential;
  return Math.min(max, exponential ? base * 2 ** (attempt - 1) : base);
}
