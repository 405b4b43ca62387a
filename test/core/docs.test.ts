import YAML from 'yaml';
import fs from 'node:fs';
import path from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app';

describe('API documents', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('serves every surface document as JSON, identical to its YAML', async () => {
    for (const name of ['box', 'scheduler']) {
      const res = await app.api.get(`/openapi/${name}.json`).expect(200);
      const yaml = YAML.parse(fs.readFileSync(path.join(__dirname, `../../openapi/${name}.yaml`), 'utf8'));
      expect(res.body).toEqual(yaml);
      expect(res.body.openapi).toBe('3.1.0');
    }
    await app.api.get('/openapi/nothing.json').expect(404);
  });

  it('serves Swagger UI listing every surface', async () => {
    const page = await app.api.get('/api-docs/').expect(200);
    expect(page.text).toContain('swagger-ui');
    const init = await app.api.get('/api-docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('/openapi/box.json');
    expect(init.text).toContain('/openapi/scheduler.json');
  });

  it('gives every operation an operationId, a summary and documented error responses', () => {
    for (const surface of app.berth.surfaces) {
      for (const op of surface.backend.getOperations()) {
        expect(op.operationId).toBeTruthy();
        expect([op.operationId, typeof op.summary]).toEqual([op.operationId, 'string']);
        const secured = (op.security ?? []).length > 0;
        if (secured) expect([op.operationId, Object.keys(op.responses ?? {})]).toEqual([op.operationId, expect.arrayContaining(['401'])]);
        if (op.requestBody) expect([op.operationId, Object.keys(op.responses ?? {})]).toEqual([op.operationId, expect.arrayContaining(['400'])]);
      }
    }
  });
});
