import { createBackend } from '../../api/openapi/backend';
import { loadDocument } from '../../api/openapi/document';

/**
 * Surfaces compile an operation's validators on its first request (quick start). Every validator of every
 * document is compiled here, so a schema Ajv cannot compile fails a test, not a user's request.
 */
describe('OpenAPI documents', () => {
  it.each(['box', 'admin', 'scheduler'])('%s: every request and response validator compiles', async (name) => {
    const backend = await createBackend(loadDocument(name));
    const operations = backend.getOperations();
    expect(operations.length).toBeGreaterThan(0);
    expect(() => backend.validator.preCompileRequestValidators()).not.toThrow();
    expect(() => backend.validator.preCompileResponseValidators()).not.toThrow();
    expect(() => backend.validator.preCompileResponseHeaderValidators()).not.toThrow();
    for (const operation of operations) {
      expect(backend.validator.getRequestValidatorsForOperation(operation.operationId!)).toBeDefined();
    }
  });

  it('a schema Ajv refuses fails the compile', async () => {
    const broken = loadDocument('scheduler');
    const [firstPath] = Object.keys(broken.paths);
    const method = Object.keys(broken.paths[firstPath]).find((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m))!;
    (broken.paths[firstPath][method] as Record<string, unknown>).parameters = [{ name: 'x', in: 'query', schema: { type: 'no-such-type' } }];
    const backend = await createBackend(broken);
    expect(() => backend.validator.preCompileRequestValidators()).toThrow();
  });
});
