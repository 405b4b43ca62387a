import type { Response } from 'supertest';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Surface } from '../../api/openapi/surface';

/**
 * The one place tests check responses against the OpenAPI documents: the status must be documented for
 * the operation, and the body must match its schema. Responses outside any operation (404, 405) must be
 * the surface's error shape.
 */
export function checkResponse(surfaces: Surface[], res: Response): void {
  const request = (res as unknown as { req: { method: string; path: string } }).req;
  const path = request.path.split('?')[0];
  const surface = surfaces.find((s) => s.mounts.some((m) => m === '/' || path === m || path.startsWith(`${m}/`)));
  if (!surface) return; // docs, static files: not an API surface
  const where = `${request.method} ${path} → ${res.status}`;

  const head = request.method === 'HEAD';
  let operation;
  try {
    operation = surface.backend.router.matchOperation({ method: head ? 'GET' : request.method, path, headers: {} }, true);
  } catch {
    operation = undefined;
  }
  if (!operation) {
    if (![404, 405].includes(res.status)) throw new Error(`${where}: no operation matched`);
    assertValid(errorSchema(surface), res.body, where);
    return;
  }

  const responses = (operation.responses ?? {}) as Record<string, { content?: Record<string, { schema?: unknown }> }>;
  const documented = responses[String(res.status)] ?? responses.default;
  // Rejections that happen before the operation (bad JSON, body too large) are the surface's error shape.
  // A blocked tenant is refused at authentication, for every operation, as a missing token would be.
  const blocked = (res.body as { code?: string } | undefined)?.code === 'INSTANCE_BLOCKED';
  if (!documented && ([400, 401, 403, 413, 415, 429].includes(res.status) || blocked)) {
    assertValid(errorSchema(surface), res.body, where);
    return;
  }
  if (!documented) throw new Error(`${where}: status not documented for ${operation.operationId}`);
  if (head) return; // the status is GET's; there is no body
  const content = documented.content ?? {};
  const json = Object.keys(content).find((type) => type === 'application/json' || type.endsWith('+json'));
  const schema = json ? content[json].schema : undefined;
  if (!schema) {
    if (res.status === 204 && res.text) throw new Error(`${where}: 204 with a body`);
    return;
  }
  assertValid(schema, res.body, where);
}

const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

function assertValid(schema: unknown, body: unknown, where: string): void {
  const validate = ajv.compile(schema as object);
  if (!validate(body)) {
    throw new Error(`${where}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
  }
}

function errorSchema(surface: Surface): unknown {
  const components = surface.backend.definition.components as { schemas: Record<string, unknown> };
  return components.schemas.Error ?? components.schemas.Errors;
}
