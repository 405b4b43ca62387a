import type { Operation } from 'openapi-backend';
import { AccessRules } from '../../api/box/access-rules';
import { loadDocument } from '../../api/openapi/document';
import { ROLES, hasRole, type Role } from '../../services/auth/roles';
import { activate, bearer, createUserWithToken, startTestApp, type TestApp } from '../helpers/app';

/** A concrete URL for an operation's path template. */
function urlFor(op: Operation): string {
  return '/api/v1' + op.path.replace(/\{[^}]+\}/g, 'does-not-exist');
}

function send(app: TestApp, op: Operation, headers: Record<string, string> = {}) {
  const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch';
  return app.api[method](urlFor(op)).set(headers);
}

describe('every box API operation is guarded by its x-berth-access rule', () => {
  let app: TestApp;
  let operations: Operation[];
  const rules = AccessRules.fromDocument(loadDocument('box'));
  beforeAll(async () => {
    app = await startTestApp();
    await activate(app);
    operations = app.berth.surfaces.find((s) => s.name === 'box')!.backend.getOperations();
  });
  afterAll(() => app.close());

  it('has an access rule for every operation', () => {
    for (const op of operations) expect(rules.of(op.operationId as string).role).toBeDefined();
  });

  it('answers 401 without a token on every non-public operation', async () => {
    for (const op of operations.filter((o) => rules.of(o.operationId as string).role !== 'public')) {
      const res = await send(app, op);
      expect([op.operationId, res.status]).toEqual([op.operationId, 401]);
      expect(res.body.code).toBe('UNAUTHORIZED');
    }
  });

  it('answers 403 to every role below the one an operation needs', async () => {
    const tokens = {} as Record<Role, string>;
    for (const role of ROLES) tokens[role] = (await createUserWithToken(app, role)).token;
    for (const op of operations) {
      const needed = rules.of(op.operationId as string).role;
      if (needed === 'public') continue;
      for (const role of ROLES.filter((r) => !hasRole(r, needed))) {
        const res = await send(app, op, bearer(tokens[role]));
        expect([op.operationId, role, res.status]).toEqual([op.operationId, role, 403]);
      }
    }
  });

  it('answers 403 to a read-only token on every mutating operation', async () => {
    const { token } = await createUserWithToken(app, 'owner', { readOnly: true });
    for (const op of operations) {
      const access = rules.of(op.operationId as string);
      if (access.role === 'public' || op.method.toLowerCase() === 'get' || access.readOnlyTokenAllowed) continue;
      const res = await send(app, op, bearer(token));
      expect([op.operationId, res.status]).toEqual([op.operationId, 403]);
    }
  });
});
