import type { OpenApiDocument } from './document';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One operation as written in a document, with the security that applies to it (its own, else the document's). */
export interface DocumentOperation {
  operationId: string;
  method: string;
  path: string;
  security: unknown[];
  /** The operation object itself, extensions (`x-…`) included. */
  spec: Record<string, unknown>;
}

/** Every operation of a document, read straight from the YAML (no router needed, so checks can run first). */
export function operationsOf(document: OpenApiDocument): DocumentOperation[] {
  const rootSecurity = (document.security as unknown[] | undefined) ?? [];
  const operations: DocumentOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const spec = item[method] as Record<string, unknown> | undefined;
      if (!spec) continue;
      const security = (spec.security as unknown[] | undefined) ?? rootSecurity;
      operations.push({ operationId: String(spec.operationId), method, path, security, spec });
    }
  }
  return operations;
}
