import { isIP } from 'node:net';
import path from 'node:path';
import { httpEdgeConfig, type HttpEdgeConfig } from './http-edge-config';
import { schedulerConfig, type SchedulerConfig } from './scheduler-config';

/** Everything Berth reads from its environment, parsed once at start. */
export interface Config {
  /** BERTH_SCHEDULER_* (scheduler-config.ts). */
  scheduler: SchedulerConfig;
  /** BERTH_METRICS_TOKEN, BERTH_SCHEDULER_RATE_*, BERTH_SCHEDULER_CORS_* (http-edge-config.ts). */
  edge: HttpEdgeConfig;
  port: number;
  adminPort: number;
  /** Where the admin API listens: loopback unless an operator opens it wider. */
  adminHost: string;
  host: string;
  dataDir: string;
  /** `sqlite:<file>` by default; `postgres://…` selects PostgreSQL. */
  databaseUrl: string;
  /** Unset means `berth serve` starts and supervises its own redis-server. */
  redisUrl: string | undefined;
  dockerHost: string | undefined;
  logLevel: LogLevel;
  /** Largest JSON request body accepted, in bytes. */
  bodyLimit: number;
  /** Registers the test-only task types (`_noop`, `_sleep`, …). */
  testTasks: boolean;
  /** With testTasks: a task's process kills itself when a task logs this exact step (crash tests). */
  testCrashAt: string | undefined;
  /** Per task type: how many run at once in one worker process (overrides the type's default). */
  taskConcurrency: Record<string, number>;
  /** Finished tasks and their logs are removed after this many days. */
  taskRetentionDays: number;
  /** On SIGTERM, running tasks get this long to finish before they are handed back. */
  shutdownGraceSecs: number;
  /** Audit events are removed after this many days; login events after `loginEventRetentionDays`. */
  eventRetentionDays: number;
  loginEventRetentionDays: number;
  /** Namespace of Berth's keys and channels in Redis: boxes sharing one Redis need different ones. */
  redisPrefix: string;
  /** SMTP relay for outgoing mail (invitations, password resets); unset: links are shown instead of mailed. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Where people reach the dashboard, for links in mail, until a dashboard domain is set up. */
  publicUrl: string;
  /** How often a worker heartbeats its running tasks. */
  taskHeartbeatMs: number;
  /** A running task whose heartbeat is older than this belongs to a dead worker. */
  taskStaleMs: number;
  /** How long an app task waits for a started app to pass its health check before it fails. */
  appStartTimeoutSecs: number;
  /** How often the health monitor checks every running app. */
  appHealthIntervalSecs: number;
  /** The share (0–1] of a task type's concurrency one tenant may hold when the box has several tenants. */
  tenantTaskShare: number;
  /** How long a session code from the admin API works (it also works only once). */
  sessionCodeSecs: number;
  /** A JSON file of tenant contexts (`{"<name>": {…}}`); `default` always exists. */
  contextsFile: string | undefined;
  /** The IPv4 address apps' A records point at, unless a tenant's setup fixed one. */
  publicIp: string;
  /** DNS servers (`ip` or `ip:port`) that dns_check asks; empty for the system's resolvers. */
  dnsServers: string[];
  /** The nsupdate binary the rfc2136 provider runs. */
  nsupdate: string;
  /** How long a DNS provider waits for its server before giving up. */
  dnsTimeoutSecs: number;
  /** Where the cloud DNS providers' APIs are: the operator's setting, never a tenant's (no pointing Berth at other hosts). */
  dnsApis: DnsApis;
  /** The nginx reverse proxy; unset: apps are not published (reached on their loopback ports). */
  nginx: NginxConfig | undefined;
  /** ACME certificates (with nginx only: the HTTP-01 challenge is answered by the proxy); null: BERTH_ACME=off. */
  acme: AcmeConfig | null;
  /** Folders a tenant's backupFolder must be inside (tenants share the machine); the first is the default target. */
  backupRoots: string[];
  /** Origins an s3 backup `endpoint` may name (BERTH_BACKUP_S3_ENDPOINTS); null: any. */
  backupEndpoints: string[] | null;
}

export interface DnsApis {
  /** BERTH_CLOUDFLARE_API: the Cloudflare API v4 base. */
  cloudflare: string;
  /** BERTH_DIGITALOCEAN_API: the DigitalOcean API v2 base. */
  digitalocean: string;
  /** BERTH_ROUTE53_ENDPOINT: a Route 53 endpoint; unset: the AWS SDK's own. */
  route53: string | undefined;
}

export interface AcmeConfig {
  /** BERTH_ACME_CA_FILE: PEM roots the ACME server's HTTPS is trusted with (Pebble's); unset: the system's. */
  caFile?: string;
  /** BERTH_ACME_EMAIL: the account's contact address. */
  email?: string;
  /** BERTH_ACME_TIMEOUT_SECS: each ACME request's limit. */
  timeoutSecs: number;
  /** BERTH_ACME_DNS_WAIT_SECS: how long a DNS-01 TXT record may take to reach BERTH_DNS_SERVERS. */
  dnsWaitSecs: number;
}

export interface NginxConfig {
  /** Where Berth writes its site files (one per app) and the domains' fallback certificates. */
  sitesDir: string;
  /** The nginx binary. */
  binary: string;
  /** nginx's main config file (it must `include` sitesDir/*.conf). */
  confFile: string;
  /** The HTTPS and HTTP ports the sites listen on. */
  httpsPort: number;
  httpPort: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A bad setting: the process prints the message (which names the variable) and exits. */
export class ConfigError extends Error {
  name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const dataDir = path.resolve(cwd, nonEmpty(env, 'BERTH_DATA_DIR') ?? './data');
  const config: Config = {
    port: port(env, 'BERTH_PORT', 3000),
    adminPort: port(env, 'BERTH_ADMIN_PORT', 6060),
    adminHost: nonEmpty(env, 'BERTH_ADMIN_HOST') ?? '127.0.0.1',
    host: nonEmpty(env, 'BERTH_HOST') ?? '0.0.0.0',
    dataDir,
    databaseUrl: databaseUrl(env, dataDir),
    redisUrl: redisUrl(env),
    dockerHost: dockerHost(env),
    logLevel: logLevel(env),
    bodyLimit: positiveInt(env, 'BERTH_BODY_LIMIT', 1024 * 1024),
    testTasks: flag(env, 'BERTH_TEST_TASKS'),
    testCrashAt: nonEmpty(env, 'BERTH_TEST_CRASH_AT'),
    taskConcurrency: concurrency(env),
    taskRetentionDays: positiveInt(env, 'BERTH_TASK_RETENTION_DAYS', 30),
    shutdownGraceSecs: positiveInt(env, 'BERTH_SHUTDOWN_GRACE_SECS', 30),
    eventRetentionDays: positiveInt(env, 'BERTH_EVENTLOG_RETENTION_DAYS', 90),
    loginEventRetentionDays: positiveInt(env, 'BERTH_LOGIN_EVENTLOG_RETENTION_DAYS', 365),
    redisPrefix: redisPrefix(env),
    smtpUrl: smtpUrl(env),
    mailFrom: nonEmpty(env, 'BERTH_MAIL_FROM') ?? 'Berth <no-reply@localhost>',
    publicUrl: publicUrl(env),
    taskHeartbeatMs: positiveInt(env, 'BERTH_TASK_HEARTBEAT_MS', 5000),
    taskStaleMs: positiveInt(env, 'BERTH_TASK_STALE_MS', 30_000),
    appStartTimeoutSecs: positiveInt(env, 'BERTH_APP_START_TIMEOUT_SECS', 300),
    appHealthIntervalSecs: positiveInt(env, 'BERTH_APP_HEALTH_INTERVAL_SECS', 10),
    contextsFile: nonEmpty(env, 'BERTH_CONTEXTS_FILE'),
    sessionCodeSecs: positiveInt(env, 'BERTH_SESSION_CODE_SECS', 15 * 60),
    tenantTaskShare: percent(env, 'BERTH_TENANT_TASK_SHARE', 50) / 100,
    publicIp: publicIp(env),
    dnsServers: dnsServers(env),
    nsupdate: nonEmpty(env, 'BERTH_NSUPDATE') ?? 'nsupdate',
    dnsTimeoutSecs: positiveInt(env, 'BERTH_DNS_TIMEOUT_SECS', 5),
    dnsApis: {
      cloudflare: apiBase(env, 'BERTH_CLOUDFLARE_API') ?? 'https://api.cloudflare.com/client/v4',
      digitalocean: apiBase(env, 'BERTH_DIGITALOCEAN_API') ?? 'https://api.digitalocean.com/v2',
      route53: apiBase(env, 'BERTH_ROUTE53_ENDPOINT'),
    },
    nginx: nginx(env, dataDir),
    acme: acme(env),
    backupRoots: backupRoots(env, dataDir, cwd),
    backupEndpoints: backupEndpoints(env),
    scheduler: schedulerConfig(env, positiveInt),
    edge: httpEdgeConfig(env, { nonNegativeInt, fail: (message) => { throw new ConfigError(message); } }),
  };
  // A healthy worker must never look dead: allow for a couple of missed heartbeats.
  if (config.taskStaleMs < 3 * config.taskHeartbeatMs) {
    throw new ConfigError(
      `BERTH_TASK_STALE_MS (${config.taskStaleMs}) must be at least 3 × BERTH_TASK_HEARTBEAT_MS (${config.taskHeartbeatMs})`,
    );
  }
  return config;
}

/** `BERTH_BACKUP_ROOTS=/var/backups/berth:/mnt/disk`: absolute folders, colon-separated; default `<data dir>/backups`. */
function backupRoots(env: Env, dataDir: string, cwd: string): string[] {
  const raw = nonEmpty(env, 'BERTH_BACKUP_ROOTS');
  if (raw === undefined) return [path.join(dataDir, 'backups')];
  const roots = raw.split(':').filter(Boolean);
  const relative = roots.find((root) => !path.isAbsolute(root));
  if (relative !== undefined || !roots.length) throw new ConfigError(`BERTH_BACKUP_ROOTS must be absolute folders separated by ":", got "${raw}"`);
  return roots.map((root) => path.resolve(cwd, root));
}

/** `BERTH_BACKUP_S3_ENDPOINTS=https://minio.example.com,http://10.0.0.5:9000`: the origins tenants may point s3 at. */
function backupEndpoints(env: Env): string[] | null {
  const raw = nonEmpty(env, 'BERTH_BACKUP_S3_ENDPOINTS');
  if (raw === undefined) return null;
  return raw.split(/[\s,]+/).filter(Boolean).map((entry) => {
    try {
      const url = new URL(entry);
      if (!/^https?:$/.test(url.protocol)) throw new Error('not http(s)');
      return url.origin;
    } catch {
      throw new ConfigError(`BERTH_BACKUP_S3_ENDPOINTS must be http(s) origins separated by commas, got "${entry}"`);
    }
  });
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  return Number(raw);
}

function smtpUrl(env: Env): string | undefined {
  const raw = nonEmpty(env, 'BERTH_SMTP_URL');
  if (raw !== undefined && !/^smtps?:\/\/.+/.test(raw)) {
    throw new ConfigError(`BERTH_SMTP_URL must be smtp://user:password@host:port or smtps://…, got "${redact(raw)}"`);
  }
  return raw;
}

function publicUrl(env: Env): string {
  const raw = nonEmpty(env, 'BERTH_PUBLIC_URL') ?? `http://localhost:${nonEmpty(env, 'BERTH_PORT') ?? 3000}`;
  if (!/^https?:\/\/[^/\s]+/.test(raw)) throw new ConfigError(`BERTH_PUBLIC_URL must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function publicIp(env: Env): string {
  const raw = nonEmpty(env, 'BERTH_PUBLIC_IP') ?? '127.0.0.1';
  if (isIP(raw) !== 4) throw new ConfigError(`BERTH_PUBLIC_IP must be an IPv4 address, got "${raw}"`);
  return raw;
}

/** `BERTH_DNS_SERVERS=127.0.0.1:5353,9.9.9.9`. */
function dnsServers(env: Env): string[] {
  const raw = nonEmpty(env, 'BERTH_DNS_SERVERS');
  if (raw === undefined) return [];
  const servers = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const server of servers) {
    const match = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(server);
    if (!match || isIP(match[1]) !== 4 || (match[2] !== undefined && (Number(match[2]) < 1 || Number(match[2]) > 65535))) {
      throw new ConfigError(`BERTH_DNS_SERVERS must be IPv4 addresses with optional ports, comma-separated (1.1.1.1,127.0.0.1:5353), got "${raw}"`);
    }
  }
  return servers;
}

/** An API base URL: http(s), without a trailing slash. */
function apiBase(env: Env, name: string): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol)) throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

/** On unless BERTH_ACME=off (machines without Internet access, tests that do not start a CA). */
function acme(env: Env): AcmeConfig | null {
  const raw = nonEmpty(env, 'BERTH_ACME') ?? 'on';
  if (raw !== 'on' && raw !== 'off') throw new ConfigError(`BERTH_ACME must be on or off, got "${raw}"`);
  if (raw === 'off') return null;
  const caFile = nonEmpty(env, 'BERTH_ACME_CA_FILE');
  return {
    caFile: caFile && path.resolve(caFile),
    email: nonEmpty(env, 'BERTH_ACME_EMAIL'),
    timeoutSecs: positiveInt(env, 'BERTH_ACME_TIMEOUT_SECS', 30),
    dnsWaitSecs: positiveInt(env, 'BERTH_ACME_DNS_WAIT_SECS', 120),
  };
}

/** The reverse proxy is on when BERTH_NGINX_CONF names nginx's main config file. */
function nginx(env: Env, dataDir: string): NginxConfig | undefined {
  const confFile = nonEmpty(env, 'BERTH_NGINX_CONF');
  if (confFile === undefined) return undefined;
  return {
    confFile: path.resolve(confFile),
    sitesDir: path.resolve(nonEmpty(env, 'BERTH_NGINX_SITES_DIR') ?? path.join(dataDir, 'nginx')),
    binary: nonEmpty(env, 'BERTH_NGINX_BIN') ?? 'nginx',
    httpsPort: port(env, 'BERTH_NGINX_HTTPS_PORT', 443),
    httpPort: port(env, 'BERTH_NGINX_HTTP_PORT', 80),
  };
}

function redisPrefix(env: Env): string {
  const raw = nonEmpty(env, 'BERTH_REDIS_PREFIX') ?? 'berth';
  if (!/^[\w-]{1,64}$/.test(raw)) throw new ConfigError(`BERTH_REDIS_PREFIX must be 1 to 64 of a-z, 0-9, _ and -, got "${raw}"`);
  return raw;
}

function flag(env: Env, name: string): boolean {
  const raw = nonEmpty(env, name);
  if (raw === undefined || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}"`);
}

/** `BERTH_TASK_CONCURRENCY=app=2,backup=1`. */
function concurrency(env: Env): Record<string, number> {
  const raw = nonEmpty(env, 'BERTH_TASK_CONCURRENCY');
  if (raw === undefined) return {};
  const result: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const match = /^\s*([\w-]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match || Number(match[2]) < 1) {
      throw new ConfigError(`BERTH_TASK_CONCURRENCY must look like "app=2,backup=1", got "${raw}"`);
    }
    result[match[1]] = Number(match[2]);
  }
  return result;
}

function percent(env: Env, name: string, fallback: number): number {
  const value = positiveInt(env, name, fallback);
  if (value > 100) throw new ConfigError(`${name} must be a percentage from 1 to 100, got "${env[name]}"`);
  return value;
}

function port(env: Env, name: string, fallback: number): number {
  const value = positiveInt(env, name, fallback);
  if (value > 65535) throw new ConfigError(`${name} must be a TCP port between 1 and 65535, got "${env[name]}"`);
  return value;
}

function databaseUrl(env: Env, dataDir: string): string {
  const raw = nonEmpty(env, 'DATABASE_URL');
  if (raw === undefined) return `sqlite:${path.join(dataDir, 'berth.sqlite')}`;
  if (/^postgres(ql)?:\/\/.+/.test(raw)) return raw;
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) return raw;
  throw new ConfigError(`DATABASE_URL must be postgres://user@host/db or sqlite:<file>, got "${redact(raw)}"`);
}

function redisUrl(env: Env): string | undefined {
  const raw = nonEmpty(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  if (!/^(redis|rediss|unix):\/\/.+/.test(raw)) {
    throw new ConfigError(`REDIS_URL must be redis://host:port, rediss://… or unix:///path, got "${redact(raw)}"`);
  }
  return raw;
}

function dockerHost(env: Env): string | undefined {
  const raw = nonEmpty(env, 'DOCKER_HOST');
  if (raw === undefined) return undefined;
  if (!/^(unix|tcp|http|https):\/\/.+/.test(raw)) {
    throw new ConfigError(`DOCKER_HOST must be unix:///path/docker.sock or tcp://host:port, got "${raw}"`);
  }
  return raw;
}

function logLevel(env: Env): LogLevel {
  const raw = nonEmpty(env, 'BERTH_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`BERTH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return raw as LogLevel;
}

/** Keeps a password inside a URL out of error messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
