import { validationError } from '../core/errors';
import type { AccessRestriction, PortBinding } from './app-repo';
import { DEFAULT_MEMORY_LIMIT, MIN_MEMORY_LIMIT, PLATFORM_ENV, type Manifest } from './manifest';

/** Checks for what users send about an app; each error names its field. */

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_MEMORY_LIMIT = 64 * 1024 ** 3;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Host ports apps may not take: the well-known ports of the services a box runs (mail, DNS, web) and Berth's
 * own. Cloudron refuses the same list.
 */
const RESERVED_PORTS = [22, 25, 53, 80, 143, 443, 465, 587, 993, 995, 2003, 2004, 2020, 3000, 3306, 4190, 5432, 6379, 8000];

/** `www`, `a.b` or '' (the bare domain). */
export function checkLocation(raw: unknown): string {
  const location = String(raw ?? '').trim().toLowerCase();
  if (location === '') return '';
  if (location.length > 63 * 2 || !location.split('.').every((part) => LABEL.test(part))) {
    throw validationError('location must be a host name label such as "www" (letters, digits and "-"), or empty', { field: 'location' });
  }
  return location;
}

export function checkDomain(raw: unknown): string {
  const domain = String(raw ?? '').trim().toLowerCase().replace(/\.$/, '');
  const parts = domain.split('.');
  if (domain.length > 253 || parts.length < 2 || !parts.every((part) => LABEL.test(part)) || /^\d+$/.test(parts[parts.length - 1])) {
    throw validationError('domain must be a domain name such as example.com', { field: 'domain' });
  }
  return domain;
}

export const fqdnOf = (location: string, domain: string) => (location ? `${location}.${domain}` : domain);

/** 0 or absent means the manifest's need (or 256 MiB); an explicit limit may not be below what the manifest needs. */
export function checkMemoryLimit(raw: unknown, manifest: Manifest): number {
  const needed = Math.max(manifest.memoryLimit ?? 0, MIN_MEMORY_LIMIT);
  if (raw === undefined || raw === null || raw === 0) return manifest.memoryLimit ? needed : DEFAULT_MEMORY_LIMIT;
  const limit = Number(raw);
  if (!Number.isSafeInteger(limit) || limit < needed) {
    throw validationError(`memoryLimit must be at least ${needed} bytes (${Math.ceil(needed / 1024 ** 2)} MiB, what the app needs)`, { field: 'memoryLimit' });
  }
  if (limit > MAX_MEMORY_LIMIT) throw validationError('memoryLimit must be at most 64 GiB', { field: 'memoryLimit' });
  return limit;
}

export function checkEnv(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  const env = raw as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) throw validationError(`env.${name} is not a valid environment variable name`, { field: `env.${name}` });
    if (PLATFORM_ENV.test(name)) throw validationError(`env.${name} is set by Berth and cannot be overridden`, { field: `env.${name}` });
    if (typeof value !== 'string') throw validationError(`env.${name} must be a string`, { field: `env.${name}` });
  }
  return env as Record<string, string>;
}

/**
 * `{ENV_NAME: hostPort}` for ports the manifest declares. A port the user leaves out takes the manifest's
 * default; `null` leaves it unbound.
 */
export function checkPortBindings(raw: unknown, manifest: Manifest, reserved: number[]): PortBinding[] {
  const given = (raw ?? {}) as Record<string, number | null>;
  const declared = [
    ...Object.entries(manifest.tcpPorts ?? {}).map(([envName, spec]) => ({ envName, spec, protocol: 'tcp' as const })),
    ...Object.entries(manifest.udpPorts ?? {}).map(([envName, spec]) => ({ envName, spec, protocol: 'udp' as const })),
  ];
  for (const name of Object.keys(given)) {
    if (!declared.some((d) => d.envName === name)) {
      throw validationError(`portBindings.${name} is not a port the manifest declares`, { field: `portBindings.${name}` });
    }
  }
  const bindings: PortBinding[] = [];
  for (const { envName, spec, protocol } of declared) {
    const hostPort = envName in given ? given[envName] : (spec.defaultValue ?? null);
    if (hostPort === null) continue;
    if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) {
      throw validationError(`portBindings.${envName} must be a port (1–65535)`, { field: `portBindings.${envName}` });
    }
    if ([...RESERVED_PORTS, ...reserved].includes(hostPort)) {
      throw validationError(`portBindings.${envName}: port ${hostPort} is reserved for the system`, { field: `portBindings.${envName}` });
    }
    if (bindings.some((b) => b.hostPort === hostPort && b.protocol === protocol)) {
      throw validationError(`portBindings.${envName}: port ${hostPort} is given twice`, { field: `portBindings.${envName}` });
    }
    bindings.push({ envName, hostPort, protocol });
  }
  return bindings;
}

export function checkTags(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const tags = raw as string[];
  if (tags.some((t) => typeof t !== 'string' || !t.trim() || t.length > 64)) throw validationError('tags must be 1 to 64 characters each', { field: 'tags' });
  return [...new Set(tags.map((t) => t.trim()))];
}

export function checkLabel(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const label = String(raw).trim();
  if (label.length > 128) throw validationError('label must be at most 128 characters', { field: 'label' });
  return label;
}

/** `null` lets every user of the tenant in; otherwise the listed users and groups. */
export function checkAccessRestriction(raw: unknown): AccessRestriction | null {
  if (raw === null || raw === undefined) return null;
  const value = raw as Partial<AccessRestriction>;
  return { users: [...new Set(value.users ?? [])], groups: [...new Set(value.groups ?? [])] };
}

const ICON_SIGNATURES = [Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from([0xff, 0xd8, 0xff])];
export const MAX_ICON_BYTES = 256 * 1024;

/** A base64 PNG or JPEG of at most 256 KiB; '' or null clears it. */
export function checkIcon(raw: unknown): Buffer | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const text = String(raw).replace(/^data:image\/\w+;base64,/, '');
  const icon = Buffer.from(text, 'base64');
  if (!icon.length || !ICON_SIGNATURES.some((sig) => icon.subarray(0, sig.length).equals(sig))) {
    throw validationError('icon must be a base64-encoded PNG or JPEG image', { field: 'icon' });
  }
  if (icon.length > MAX_ICON_BYTES) throw validationError('icon must be at most 256 KiB', { field: 'icon' });
  return icon;
}
