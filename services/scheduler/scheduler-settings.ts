import { validationError } from '../core/errors';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { SettingsRepo } from '../settings/settings-repo';

/** A tenant's scheduler globals (`PATCH /api/config/global`), owned here. */
export const SCHEDULER_GLOBALS_SETTING = 'scheduler_globals';

export type GlobalValue = string | number | boolean | string[];
export type SchedulerGlobals = Record<string, GlobalValue>;

type Check = (value: unknown, key: string) => GlobalValue;

const EMAIL_RE = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const CHANNEL_RE = /^[#@]?[\w.-]{1,79}$/;
/** Values of such keys are credentials: shown as `[redacted]`, never as written. */
const SECRET_KEY_RE = /password|secret|token|key/i;
export const REDACTED = '[redacted]';

const bool: Check = (value, key) => {
  if (typeof value !== 'boolean') throw validationError(`${key} must be true or false`, { field: key });
  return value;
};

const positiveInt = (max: number): Check => (value, key) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw validationError(`${key} must be a whole number of seconds between 1 and ${max}`, { field: key });
  }
  return value;
};

/** Outgoing notifications carry job output: only https, so it is not readable on the way. */
const httpsUrl: Check = (value, key) => {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || !url.hostname || url.username || url.password) {
    throw validationError(`${key} must be an https URL without credentials`, { field: key });
  }
  return url.toString();
};

/** One address, or several separated by commas (Ofelia's `email-to` takes a list). */
const emails: Check = (value, key) => {
  const parts = typeof value === 'string' ? value.split(',').map((p) => p.trim()) : [];
  if (!parts.length || parts.some((p) => !EMAIL_RE.test(p))) {
    throw validationError(`${key} must be an email address (or several, separated by commas)`, { field: key });
  }
  return parts.join(', ');
};

const channel: Check = (value, key) => {
  if (typeof value !== 'string' || !CHANNEL_RE.test(value)) throw validationError(`${key} must be a channel such as #alerts`, { field: key });
  return value;
};

/**
 * The keys a tenant may set. The Docker host, SMTP and the like are the box operator's (its INI file and Berth's
 * own configuration), so a tenant cannot point the scheduler at another engine or mail server.
 */
const KNOWN: Readonly<Record<string, Check>> = {
  dockerPollInterval: positiveInt(86_400),
  dockerEvents: bool,
  slackURL: httpsUrl,
  slackWebhook: httpsUrl,
  slackChannel: channel,
  slackOnlyOnError: bool,
  webhookURL: httpsUrl,
  emailFrom: emails,
  emailTo: emails,
  mailOnlyOnError: bool,
};

/**
 * A tenant's scheduler globals, as `GET /api/config` shows them and `PATCH /api/config/global` changes them. The
 * default tenant's view starts from the INI file's `[global]` section (the operator's jobs are that tenant's),
 * with its own settings over it; other tenants never see the operator's file. Credentials are redacted on the
 * way out: webhook URLs embed their secret in the path, so only their origin shows.
 */
export class SchedulerSettings {
  constructor(
    private readonly deps: {
      settings: SettingsRepo;
      eventlog: EventlogService;
      /** The INI files' merged `[global]` sections (read once if this process has not loaded them). */
      fileGlobals: () => Promise<Record<string, string | string[]>>;
      /** The tenant the INI file's jobs belong to. */
      operatorTenant: () => Promise<string | undefined>;
    },
  ) {}

  /** What the tenant's scheduler runs with, redacted for display. */
  async effective(instanceId: string): Promise<SchedulerGlobals> {
    const fromFile = (await this.deps.operatorTenant()) === instanceId ? camelKeys(await this.deps.fileGlobals()) : {};
    return redact({ ...fromFile, ...(await this.stored(instanceId)) });
  }

  async stored(instanceId: string): Promise<SchedulerGlobals> {
    return (await this.deps.settings.get<SchedulerGlobals>(instanceId, SCHEDULER_GLOBALS_SETTING)) ?? {};
  }

  /** Sets the keys named, removes those given null; an unknown key or a bad value is 400 and nothing changes. */
  async update(actor: Actor, patch: Record<string, unknown>): Promise<SchedulerGlobals> {
    const changes: Record<string, GlobalValue | null> = {};
    for (const [key, value] of Object.entries(patch)) {
      const check = KNOWN[key];
      if (!check) throw validationError(`unknown setting "${key}": known are ${Object.keys(KNOWN).join(', ')}`, { field: key });
      changes[key] = value === null ? null : check(value, key);
    }
    const next = { ...(await this.stored(actor.instanceId)) };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    await this.deps.settings.set(actor.instanceId, SCHEDULER_GLOBALS_SETTING, next);
    // The event names the keys only: values may be webhook URLs with their secret inside.
    await this.deps.eventlog.record(actor, 'scheduler.config.update', null, { keys: Object.keys(changes) });
    return this.effective(actor.instanceId);
  }
}

/** `slack-webhook` → `slackWebhook`: the INI's keys in the API's spelling. */
function camelKeys(globals: Record<string, string | string[]>): SchedulerGlobals {
  return Object.fromEntries(Object.entries(globals).map(([key, value]) => [key.replace(/[-_]+([a-z0-9])/gi, (_m, c: string) => c.toUpperCase()), value]));
}

export function redact(globals: SchedulerGlobals): SchedulerGlobals {
  const out: SchedulerGlobals = {};
  for (const [key, value] of Object.entries(globals)) {
    if (SECRET_KEY_RE.test(key)) out[key] = REDACTED;
    else if (typeof value === 'string') out[key] = shortenUrl(value);
    else if (Array.isArray(value)) out[key] = value.map(shortenUrl);
    else out[key] = value;
  }
  return out;
}

/** An http(s) URL with a path or query shows as its origin and `/...`, as the seed writes `https://hooks.slack.com/...`. */
function shortenUrl(value: string): string {
  if (!/^https?:\/\//i.test(value)) return value;
  try {
    const url = new URL(value);
    return url.pathname === '/' && !url.search && !url.username ? value : `${url.origin}/...`;
  } catch {
    return value;
  }
}
