import { createHash } from 'node:crypto';
import { LABELS } from '../apps/app-runtime';

/**
 * A container Berth runs for a module rather than for an app: a tenant's mail server, an addon's database, a
 * scheduler job. `module` and `name` say which (one container per module, tenant and name); the rest is what the
 * engine needs, and its hash decides whether a running container still matches.
 */
export interface PlatformSpec {
  /** The module that owns it (`mail`, `addons`, `scheduler`, …): the value of the `io.berth.platform` label. */
  module: string;
  /** Unique within the module and tenant (`mailserver`, `postgresql`, `job-42`). */
  name: string;
  /** The tenant it belongs to: it goes when the tenant is deleted. */
  instanceId: string;
  image: string;
  env?: Record<string, string>;
  /** The command; the image's own when omitted. */
  cmd?: string[];
  /**
   * Named volumes of the module's (`<module>` + `name`, per tenant), created on first use and kept when the
   * container is replaced or removed; only deleting the tenant removes them.
   */
  volumes?: Array<{ name: string; path: string; readOnly?: boolean }>;
  /** `tenant`: on the tenant's bridge network, beside its apps. `none`: no network at all. */
  network: 'tenant' | 'none';
  /**
   * `unless-stopped` (the default): a service the engine restarts after crashes and reboots. `no`: a job that runs
   * once and stays exited for its state and logs to be read.
   */
  restart?: 'unless-stopped' | 'no';
  /** The container's memory limit in bytes (none when omitted). */
  memoryLimit?: number;
  /** More labels of the module's own; Berth's labels win over these. */
  labels?: Record<string, string>;
}

/** Which platform container: what remove, state, logs and exec take. */
export type PlatformRef = Pick<PlatformSpec, 'module' | 'name' | 'instanceId'>;

/** Labels of platform containers, beside Berth's managed, instance, platform and spec-hash ones. */
export const PLATFORM_NAME_LABEL = 'io.berth.platform-name';

/** Engine names allow [a-zA-Z0-9_.-]; module and name are checked so the container's name is theirs verbatim. */
const NAME_PART = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function checkRef(ref: PlatformRef): void {
  checkPart('module', ref.module);
  checkPart('name', ref.name);
}

export function checkSpec(spec: PlatformSpec): void {
  checkRef(spec);
  for (const volume of spec.volumes ?? []) checkPart('volume name', volume.name);
}

/** A programming error in the calling module, not a user's: a plain Error. */
function checkPart(field: string, value: string): void {
  if (!NAME_PART.test(value)) throw new Error(`platform container ${field} "${value}" must be 1-40 of a-z, 0-9 and -`);
}

/** `berth-p-<module>-<name>-<instanceId>`: the `p` keeps them apart from apps' `berth-app-…` names. */
export const platformContainerName = (ref: PlatformRef) => `berth-p-${ref.module}-${ref.name}-${ref.instanceId}`;

export const platformVolumeName = (ref: Pick<PlatformRef, 'module' | 'instanceId'>, volume: string) => `berth-p-${ref.module}-${volume}-${ref.instanceId}`;

/** The labels that find a platform container, and say it is not an app's (the reconciler leaves it alone). */
export function platformLabels(ref: Pick<PlatformRef, 'module' | 'instanceId'>): Record<string, string> {
  return { [LABELS.managed]: '1', [LABELS.instance]: ref.instanceId, [LABELS.platform]: ref.module };
}

/**
 * The spec's hash, over a canonical form (keys sorted at every level, absent and empty treated alike), so the same
 * spec written in another key order does not replace a running container.
 */
export function specHash(spec: PlatformSpec): string {
  const canonical = {
    module: spec.module,
    name: spec.name,
    instanceId: spec.instanceId,
    image: spec.image,
    env: sortedEntries(spec.env),
    cmd: spec.cmd ?? null,
    volumes: (spec.volumes ?? []).map((v) => [v.name, v.path, Boolean(v.readOnly)]),
    network: spec.network,
    restart: spec.restart ?? 'unless-stopped',
    memoryLimit: spec.memoryLimit ?? null,
    labels: sortedEntries(spec.labels),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}

const sortedEntries = (record: Record<string, string> | undefined) => Object.entries(record ?? {}).sort(([a], [b]) => a.localeCompare(b));
