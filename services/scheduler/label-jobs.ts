import { emptyJob, type JobSpec, type JobType } from './job-spec';
import { jobKeyRule, setJobField } from './job-fields';

/**
 * Jobs from Ofelia's Docker labels, `ofelia.<job-type>.<job-name>.<key>=<value>` on a container labelled
 * `ofelia.enabled=true`, read by the maintained fork's rules (netresearch, cli/docker-labels.go), with Berth's own
 * where it is stricter:
 * - `job-exec` is named `<prefix>.<job-name>`, prefix the Compose service (`com.docker.compose.service`) or else the
 *   container's name, so two projects' `backup` jobs do not collide; `job-run` and `job-service-run` keep their name.
 * - On a container that is not the service container, `job-exec` and `job-run` without `image` or `container` get
 *   `container` = that container (netresearch's addContainerNameToJobsIfNeeded): exec runs in it, run starts it.
 * - The service container is the one labelled `ofelia.service=true` (the Ofelia image carries the label, so labels
 *   put on the Ofelia container count as its). Only it may give `job-service-run` jobs, global settings (fewer than
 *   four dot-parts: `ofelia.<key>`) and webhooks (`ofelia.webhook.<name>.<key>`). `job-run` comes from any container.
 * - A stopped container gives only its `job-run` jobs: exec needs a running process to enter.
 * - `job-local` is always refused: a label is whatever a container's author wrote, and a host command is the
 *   operator's to give (INI file, API). netresearch refuses it too unless `allow-host-jobs-from-labels`; Berth has
 *   no such switch. `job-compose` is refused: Berth has no compose job.
 * - Global keys are an allow-list of notification and logging settings (netresearch's `globalLabelAllowList`, #486):
 *   a container must not be able to move where reports are saved or widen what webhooks may reach.
 * - List keys (`environment`, `volume`, ...) may hold a JSON array of strings, `["FOO=bar","BAZ=qux"]`.
 * Nothing here throws: a label that cannot be used is answered in `refused` with a reason naming it, and a job with
 * such a label is left out whole (a job missing a setting its author wrote is worse than no job), while the
 * container's other jobs stand.
 * Host bind mounts in `volume` are kept (the examples README expects them); whether a job's owner may mount the
 * host is the scope check's business, not the reader's.
 */
export interface LabelledContainer {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  labels: Record<string, string>;
  running: boolean;
}

export interface RefusedLabel {
  label: string;
  reason: string;
}

export interface LabelJobs {
  jobs: JobSpec[];
  refused: RefusedLabel[];
  /** Allowed global settings from the service container, keys lower-cased. */
  global: Record<string, string>;
  /** netresearch's label webhooks, `ofelia.webhook.<name>.<key>`, from the service container. */
  webhooks: Record<string, Record<string, string>>;
}

export const ENABLED_LABEL = 'ofelia.enabled';
export const SERVICE_LABEL = 'ofelia.service';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** Global keys a service container may set: netresearch's allow-list (docker-labels.go, #486). */
export const GLOBAL_LABEL_KEYS: ReadonlySet<string> = new Set([
  'log-level',
  'max-runtime',
  'notification-cooldown',
  'enable-strict-validation',
  'slack-webhook',
  'slack-only-on-error',
  'smtp-host',
  'smtp-port',
  'smtp-user',
  'smtp-password',
  'smtp-tls-skip-verify',
  'smtp-tls-policy',
  'email-to',
  'email-from',
  'email-subject',
  'mail-only-on-error',
  'save-only-on-error',
  'restore-history',
  'restore-history-max-age',
  'webhook-webhooks',
  'webhook-preset-cache-ttl',
  'webhook-default-preset',
  'webhooks',
]);

/** The keys netresearch reads for a label webhook (config_webhook.go, applyWebhookLabelParams). */
export const WEBHOOK_LABEL_KEYS: ReadonlySet<string> = new Set([
  'preset',
  'id',
  'secret',
  'url',
  'trigger',
  'timeout',
  'retry-count',
  'retry-delay',
  'link',
  'link-text',
]);

const LABEL_JOB_TYPES: Readonly<Record<string, JobType>> = {
  'job-exec': 'exec',
  'job-run': 'run',
  'job-service-run': 'service-run',
};

/** Labels Ofelia itself puts on the containers it runs (its annotations), never settings. */
const ANNOTATION_PREFIXES = ['ofelia.job.', 'ofelia.execution.', 'ofelia.scheduler.'];
const INTERNAL_LABELS: ReadonlySet<string> = new Set([ENABLED_LABEL, SERVICE_LABEL, 'ofelia.version']);

/**
 * Names and keys in a label: letters, digits, `_` and `-`, not first. Docker allows any text in a label key; this
 * keeps `__proto__` and friends out of the records built from them.
 */
const WORD_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const SERVICE_ONLY = `is taken only from the service container (labelled ${SERVICE_LABEL}=true)`;

interface Setting {
  label: string;
  key: string;
  value: string;
}

interface Draft {
  type: JobType;
  /** The type and name as written, `ofelia.job-exec.backup`, to name labels it lacks. */
  prefix: string;
  name: string;
  settings: Setting[];
}

export function jobsFromLabels(container: LabelledContainer): LabelJobs {
  const out: LabelJobs = { jobs: [], refused: [], global: {}, webhooks: {} };
  if (container.labels[ENABLED_LABEL] !== 'true') return out;
  const isService = container.labels[SERVICE_LABEL] === 'true';
  const refuse = (label: string, reason: string) => out.refused.push({ label, reason });
  const drafts = new Map<string, Draft>();

  // Sorted, so the same labels always give the same jobs and the same reasons in the same order.
  for (const label of Object.keys(container.labels).sort()) {
    if (!label.startsWith('ofelia.') || INTERNAL_LABELS.has(label)) continue;
    if (ANNOTATION_PREFIXES.some((p) => label.startsWith(p))) continue;
    const value = container.labels[label];
    const parts = label.split('.');
    if (parts.length === 2) {
      const key = parts[1].toLowerCase();
      if (!isService) refuse(label, `a global setting ${SERVICE_ONLY}`);
      else if (!GLOBAL_LABEL_KEYS.has(key)) refuse(label, `global "${key}" may be set only in the INI file, not by a container label`);
      else out.global[key] = value;
      continue;
    }
    if (parts.length !== 4 || parts.some((p) => p === '')) {
      refuse(label, 'expected ofelia.<job-type>.<job-name>.<key> (names cannot contain dots) or a global ofelia.<key>');
      continue;
    }
    const [, kind, name, rawKey] = parts;
    const type = kind.toLowerCase();
    const key = rawKey.toLowerCase();
    if (!WORD_RE.test(name) || !WORD_RE.test(key)) {
      refuse(label, 'names and keys are letters, digits, "_" and "-", starting with a letter or digit');
      continue;
    }
    if (type === 'webhook') {
      if (!isService) refuse(label, `a webhook ${SERVICE_ONLY}`);
      else if (!WEBHOOK_LABEL_KEYS.has(key)) refuse(label, `unknown webhook key "${key}"`);
      else (out.webhooks[name] ??= {})[key] = value;
      continue;
    }
    const problem = typeProblem(type, isService, container.running);
    if (problem !== undefined) {
      refuse(label, problem);
      continue;
    }
    const jobType = LABEL_JOB_TYPES[type];
    const jobName = jobType === 'exec' ? `${execPrefix(container)}.${name}` : name;
    const id = `${jobType} ${name}`;
    let draft = drafts.get(id);
    if (!draft) drafts.set(id, (draft = { type: jobType, prefix: `ofelia.${kind}.${name}`, name: jobName, settings: [] }));
    draft.settings.push({ label, key, value });
  }

  for (const draft of drafts.values()) {
    const job = buildJob(draft, container, isService, refuse);
    if (job) out.jobs.push(job);
  }
  out.jobs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.type.localeCompare(b.type)));
  return out;
}

/** Why a label of this job type cannot be taken from this container, or undefined when it can. */
function typeProblem(type: string, isService: boolean, running: boolean): string | undefined {
  if (type === 'job-local') {
    return 'job-local runs a command on the host, and Berth never takes one from a container label: define it in the INI file or through the API';
  }
  if (type === 'job-compose') return 'job-compose is not supported: use job-exec or job-run on the service\'s container';
  if (!(type in LABEL_JOB_TYPES)) return `unknown job type "${type}": expected job-exec, job-run or job-service-run`;
  if (type === 'job-service-run' && !isService) return `job-service-run ${SERVICE_ONLY}`;
  if (type !== 'job-run' && !running) return `the container is not running: only job-run labels are taken from a stopped container`;
  return undefined;
}

/** netresearch's getJobPrefix: the Compose service when there is one, else the container's name. */
function execPrefix(container: LabelledContainer): string {
  const service = container.labels[COMPOSE_SERVICE_LABEL];
  return service !== undefined && service !== '' ? service : container.name;
}

function buildJob(
  draft: Draft,
  container: LabelledContainer,
  isService: boolean,
  refuse: (label: string, reason: string) => void,
): JobSpec | undefined {
  const job = emptyJob(draft.name, draft.type, { kind: 'label', containerId: container.id, containerName: container.name });
  const left = ` (job "${draft.name}" is not loaded)`;
  let ok = true;
  const seen = new Map<string, string>();
  for (const { label, key, value } of draft.settings) {
    // Labels differing only in case, or `dir` beside `working-dir`, would fill one field twice, the winner hanging
    // on label order.
    const field = key === 'dir' ? 'working-dir' : key;
    const before = seen.get(field);
    if (before !== undefined && jobKeyRule(key)?.kind !== 'list') {
      refuse(label, `sets what ${before} already sets${left}`);
      ok = false;
      continue;
    }
    seen.set(field, label);
    for (const item of valuesOf(key, value)) {
      const problem = setJobField(job, key, item);
      if (problem !== undefined) {
        refuse(label, `${problem}${left}`);
        ok = false;
      }
    }
  }
  if (!ok) return undefined;
  if (!isService && (draft.type === 'exec' || draft.type === 'run') && job.image === undefined && job.container === undefined) {
    job.container = container.name;
  }
  if (job.schedule.trim() === '') {
    refuse(`${draft.prefix}.schedule`, `missing: every job needs a schedule${left}`);
    return undefined;
  }
  if (draft.type === 'exec' && job.container === undefined) {
    refuse(`${draft.prefix}.container`, `missing: an exec job on the service container must name the container to run in${left}`);
    return undefined;
  }
  if (draft.type === 'service-run' && job.image === undefined) {
    refuse(`${draft.prefix}.image`, `missing: a service-run job needs an image${left}`);
    return undefined;
  }
  if (draft.type === 'run' && job.image === undefined && job.container === undefined) {
    refuse(`${draft.prefix}.image`, `missing: a run job on the service container needs an image or a container to start${left}`);
    return undefined;
  }
  return job;
}

/** A list key's value may be a JSON array of strings (Ofelia's setJobParam); anything else is one value. */
function valuesOf(key: string, value: string): string[] {
  if (jobKeyRule(key)?.kind !== 'list' || !value.trim().startsWith('[')) return [value];
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed;
  } catch {
    // Not JSON: Ofelia keeps the text as one value, and so does Berth.
  }
  return [value];
}
