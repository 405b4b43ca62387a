import semver from 'semver';
import { validationError } from '../core/errors';

/**
 * An app manifest, in Cloudron's format where the two overlap (docs/manifest.md). Only the fields Berth acts on
 * are typed; others a Cloudron manifest may carry (changelog, mediaLinks, …) are kept as given.
 */
export interface Manifest {
  id: string;
  version: string;
  title: string;
  description: string;
  dockerImage: string;
  httpPort: number;
  healthCheckPath: string;
  /** Bytes; the least the app needs. */
  memoryLimit?: number;
  tcpPorts?: Record<string, PortSpec>;
  udpPorts?: Record<string, PortSpec>;
  addons?: Record<string, Record<string, unknown>>;
  /** Environment the image gets by default; the user's env wins. */
  env?: Record<string, string>;
  [other: string]: unknown;
}

export interface PortSpec {
  title?: string;
  description?: string;
  /** The host port offered when the user gives none. */
  defaultValue?: number;
  /** The port inside the container; the host port when omitted. */
  containerPort?: number;
}

/** Addons Berth provides today. */
export const SUPPORTED_ADDONS = ['localstorage', 'scheduler'];
/** Cloudron addons Berth recognises but does not provide yet: a manifest asking for one is refused by name. */
const KNOWN_ADDONS = ['mysql', 'postgresql', 'mongodb', 'redis', 'sendmail', 'recvmail', 'email', 'ldap', 'oauth', 'oidc', 'proxyAuth', 'turn', 'docker', 'tls'];

export const MIN_MEMORY_LIMIT = 32 * 1024 * 1024;
export const DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024;

/** Reverse-domain, lower case, at least two labels: `com.example.app`. */
const APP_ID = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/;
const MAX_MEMORY_LIMIT = 64 * 1024 ** 3;
/** `name[:tag][@digest]`, with an optional registry host: Docker's reference grammar, loosely. */
const IMAGE = /^[a-z0-9]+([._/:-][a-z0-9]+)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names Berth sets in every app's environment: a port variable may not take one. */
export const PLATFORM_ENV = /^(BERTH|CLOUDRON)(_|$)|^APP_(ID|ORIGIN|DOMAIN)$/;

const fail = (field: string, message: string) => validationError(`manifest.${field} ${message}`, { field: `manifest.${field}` });

/** Checks a manifest and returns it typed; every error names the field (`manifest.httpPort must be …`). */
export function parseManifest(raw: unknown): Manifest {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw validationError('manifest must be an object', { field: 'manifest' });
  const m = raw as Record<string, unknown>;
  if (typeof m.dockerImage !== 'string' || !m.dockerImage) throw fail('dockerImage', 'is required: the image the app runs');
  if (!IMAGE.test(m.dockerImage)) throw fail('dockerImage', 'is not a valid image reference');
  if (typeof m.id !== 'string' || !APP_ID.test(m.id) || m.id.length > 128) throw fail('id', 'must be a lower-case reverse-domain name such as com.example.app');
  if (typeof m.version !== 'string' || semver.valid(m.version) !== m.version) throw fail('version', 'must be a semantic version such as 1.0.0');
  if (typeof m.title !== 'string' || !m.title.trim() || m.title.length > 128) throw fail('title', 'must be 1 to 128 characters');
  if (m.description !== undefined && typeof m.description !== 'string') throw fail('description', 'must be a string');
  if (!isPort(m.httpPort)) throw fail('httpPort', 'must be the port (1–65535) the app serves HTTP on');
  if (typeof m.healthCheckPath !== 'string' || !m.healthCheckPath.startsWith('/')) throw fail('healthCheckPath', 'must be a path starting with /');
  if (m.memoryLimit !== undefined && (!Number.isSafeInteger(m.memoryLimit) || (m.memoryLimit as number) < 0 || (m.memoryLimit as number) > MAX_MEMORY_LIMIT)) {
    throw fail('memoryLimit', 'must be a number of bytes, at most 64 GiB');
  }
  checkPorts(m, 'tcpPorts');
  checkPorts(m, 'udpPorts');
  for (const name of Object.keys((m.udpPorts as object | undefined) ?? {})) {
    if (name in ((m.tcpPorts as object | undefined) ?? {})) throw fail(`udpPorts.${name}`, 'has the same name as a TCP port: each port needs its own variable');
  }
  checkAddons(m.addons);
  checkEnv(m.env);
  return { description: '', ...m } as Manifest;
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

function checkPorts(m: Record<string, unknown>, field: 'tcpPorts' | 'udpPorts'): void {
  const ports = m[field];
  if (ports === undefined) return;
  if (!ports || typeof ports !== 'object' || Array.isArray(ports)) throw fail(field, 'must be an object of environment variable names');
  for (const [name, spec] of Object.entries(ports as Record<string, unknown>)) {
    if (!ENV_NAME.test(name)) throw fail(`${field}.${name}`, 'must be named like an environment variable');
    if (PLATFORM_ENV.test(name)) throw fail(`${field}.${name}`, 'is a variable Berth sets itself: choose another name');
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw fail(`${field}.${name}`, 'must be an object');
    const { defaultValue, containerPort } = spec as PortSpec;
    if (defaultValue !== undefined && !isPort(defaultValue)) throw fail(`${field}.${name}.defaultValue`, 'must be a port (1–65535)');
    if (containerPort !== undefined && !isPort(containerPort)) throw fail(`${field}.${name}.containerPort`, 'must be a port (1–65535)');
  }
}

function checkAddons(addons: unknown): void {
  if (addons === undefined) return;
  if (!addons || typeof addons !== 'object' || Array.isArray(addons)) throw fail('addons', 'must be an object');
  for (const name of Object.keys(addons)) {
    if (name === 'scheduler') checkSchedulerAddon((addons as Record<string, unknown>)[name]);
    if (SUPPORTED_ADDONS.includes(name)) continue;
    if (KNOWN_ADDONS.includes(name)) throw fail(`addons.${name}`, `is not available in Berth yet (available: ${SUPPORTED_ADDONS.join(', ')})`);
    throw fail(`addons.${name}`, 'is not a known addon');
  }
}

/**
 * Cloudron's `scheduler` addon: `{"<name>": {"schedule": "0,30 * * * *", "command": "…"}}`. The shape is checked
 * here; the scheduler checks each schedule when it makes the app's jobs, and refuses a bad one with a reason.
 */
function checkSchedulerAddon(addon: unknown): void {
  if (!addon || typeof addon !== 'object' || Array.isArray(addon)) throw fail('addons.scheduler', 'must be an object of jobs');
  for (const [name, job] of Object.entries(addon)) {
    const field = `addons.scheduler.${name}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) throw fail(field, 'must be named with 1-64 letters, digits, dashes or underscores');
    const { schedule, command } = (job ?? {}) as Record<string, unknown>;
    if (typeof schedule !== 'string' || !schedule.trim()) throw fail(`${field}.schedule`, 'is required');
    if (typeof command !== 'string' || !command.trim()) throw fail(`${field}.command`, 'is required');
  }
}

function checkEnv(env: unknown): void {
  if (env === undefined) return;
  if (!env || typeof env !== 'object' || Array.isArray(env)) throw fail('env', 'must be an object of strings');
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) throw fail(`env.${name}`, 'is not a valid environment variable name');
    if (typeof value !== 'string') throw fail(`env.${name}`, 'must be a string');
  }
}
