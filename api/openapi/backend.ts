import OpenAPIBackend, { type Document, type Options } from 'openapi-backend';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { OpenApiDocument } from './document';

/**
 * openapi-backend checks documents against the OpenAPI 3.0 meta-schema; our documents are 3.1, and a failed
 * check would silently turn every route into a 404. So that check is replaced by our own consistency checks
 * (every operation has a handler and an access rule; see surface.ts and the tests), and validation runs on
 * Ajv's 2020-12 dialect so 3.1 schemas (`type: [string, 'null']`, …) are enforced as written.
 */
class OpenApi31Backend extends OpenAPIBackend {
  validateDefinition() {
    return this.document;
  }
}

export async function createBackend(document: OpenApiDocument, options: Partial<Options> = {}): Promise<OpenAPIBackend> {
  // openapi-backend asks for an Ajv per validator; one per option set lets Ajv share its compiled code.
  const ajvs = new Map<string, Ajv2020>();
  const backend = new OpenApi31Backend({
    // A deep copy: dereferencing mutates the document, which is also served raw at /openapi/<name>.json.
    definition: structuredClone(document) as Document,
    strict: true,
    validate: true,
    coerceTypes: true,
    ignoreTrailingSlashes: true,
    // Validators are compiled on an operation's first request instead of all at start: starting took about a
    // second, mostly Ajv compiling the box document, which every test app and CLI process paid.
    // test/core/openapi-documents.test.ts compiles every validator, so a schema Ajv refuses still fails a test.
    // Quick mode also dereferences with dereference-json-schema (synchronous; local `#/…` refs, which is all our
    // documents use) instead of json-schema-ref-parser.
    quick: true,
    customizeAjv: (_ajv, ajvOpts) => {
      const key = JSON.stringify(ajvOpts);
      let ajv = ajvs.get(key);
      if (!ajv) {
        ajv = addFormats(new Ajv2020({ ...ajvOpts, strict: false }));
        ajvs.set(key, ajv);
      }
      return ajv as never;
    },
    ...options,
  });
  await backend.init();
  // The router rebuilds the flattened operation list (with lodash) on every match; the document is fixed
  // once loaded, so build it once.
  const operations = backend.router.getOperations();
  backend.router.getOperations = () => operations;
  return backend;
}
