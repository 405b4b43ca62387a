import { randomUUID } from 'node:crypto';
import type { OpenApiDocument } from '../../api/openapi/document';

/*
 * The box document walked for the tenant-isolation test (test/box/tenant-isolation.test.ts): every operation
 * with path parameters, with a minimal valid body where one is required, and ids of the same shape that exist
 * nowhere.
 */

/** A 1×1 PNG: what a sampled `icon` field gets, so GET …/icon has something to hand out. */
export const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

export type Id = string | number;

export type Schema = Record<string, unknown>;

export interface WalkOp {
  operationId: string;
  method: string;
  path: string;
  params: string[];
  /** Only when the request body is required. */
  body?: unknown;
  /** A WebSocket route (documents a 101): needs a real server. */
  websocket: boolean;
  label: string;
}

function deref(doc: OpenApiDocument, node: unknown): Schema {
  let current = node as Schema | undefined;
  for (let hops = 0; current && typeof current.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref loop at ${String(current.$ref)}`);
    const ref = current.$ref as string;
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc) as Schema | undefined;
    if (!current) throw new Error(`unresolved $ref ${ref}`);
  }
  return current ?? {};
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function walkOperations(doc: OpenApiDocument): WalkOp[] {
  const ops: WalkOp[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = ((item.parameters ?? []) as unknown[]).map((p) => deref(doc, p));
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const own = ((op.parameters ?? []) as unknown[]).map((p) => deref(doc, p));
      const params = [...new Set([...shared, ...own].filter((p) => p.in === 'path').map((p) => p.name as string))];
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const name of templated) if (!params.includes(name)) params.push(name);
      if (!params.length) continue;
      const requestBody = op.requestBody ? deref(doc, op.requestBody) : undefined;
      const jsonSchema = (requestBody?.content as Record<string, { schema?: unknown }> | undefined)?.['application/json']?.schema;
      const responses = (op.responses ?? {}) as Record<string, unknown>;
      ops.push({
        operationId: String(op.operationId),
        method,
        path,
        params,
        body: requestBody?.required ? (jsonSchema ? sample(doc, jsonSchema, 'body') : {}) : undefined,
        websocket: '101' in responses,
        label: `${method.toUpperCase()} ${path} (${String(op.operationId)})`,
      });
    }
  }
  return ops;
}

/** A plausible value for a schema: required properties only (and enough more for minProperties). */
function sample(doc: OpenApiDocument, node: unknown, name: string): unknown {
  const schema = deref(doc, node);
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const branches = (schema.oneOf ?? schema.anyOf) as unknown[] | undefined;
  if (branches) {
    const chosen = branches.find((b) => deref(doc, b).type !== 'null') ?? branches[0];
    return sample(doc, chosen, name);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...(schema.allOf as unknown[]).map((part) => sample(doc, part, name)));
  }
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type ?? (schema.properties ? 'object' : 'string')]) as string[];
  const type = types.find((t) => t !== 'null') ?? 'null';
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? Math.max(schema.minimum, 1) : 1;
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, () => sample(doc, schema.items, name));
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, unknown>;
      const required = (schema.required ?? []) as string[];
      const keys = [...required];
      const wanted = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
      for (const key of Object.keys(properties)) if (keys.length < wanted && !keys.includes(key)) keys.push(key);
      return Object.fromEntries(keys.map((key) => [key, sample(doc, properties[key] ?? {}, key)]));
    }
    default:
      return sampleString(schema, name);
  }
}

function sampleString(schema: Schema, name: string): string {
  if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
  let value = 'probe';
  if (/email/i.test(name)) value = 'probe@example.com';
  else if (/password/i.test(name)) value = 'Pr0be-passw0rd!';
  else if (/icon/i.test(name)) value = PNG;
  else if (/domain/i.test(name)) value = 'probe.iso.test';
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  return value.padEnd(min, 'x').slice(0, max);
}

/** An id of the same shape that exists in no tenant: `uid-<uuid>` keeps its prefix, integers stay integers. */
export function madeUp(id: Id): Id {
  if (typeof id === 'number') return 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
  const uuid = /^([a-z]+-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.exec(id);
  if (uuid) return `${uuid[1] ?? ''}${randomUUID()}`;
  const pick = (chars: string) => chars[Math.floor(Math.random() * chars.length)];
  for (;;) {
    const other: string = id.replace(/[0-9]/g, () => pick('0123456789')).replace(/[a-z]/g, () => pick('abcdefghijklmnopqrstuvwxyz'));
    if (other !== id) return other;
  }
}
