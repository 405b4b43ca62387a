import { AccessRules } from '../../api/box/access-rules';
import type { BoxServices } from '../../api/box/services';
import { createBoxSurface } from '../../api/box/surface';
import { loadDocument, type OpenApiDocument } from '../../api/openapi/document';

/** The box document with one operation's x-berth-access replaced (undefined removes it). */
function withAccess(path: string, method: string, access: unknown): OpenApiDocument {
  const document = loadDocument('box');
  const operation = document.paths[path][method] as Record<string, unknown>;
  if (access === undefined) delete operation['x-berth-access'];
  else operation['x-berth-access'] = access;
  return document;
}

// Construction refuses before any service is called, so no services are needed.
const noServices = {} as BoxServices;

describe('x-berth-access: the box surface refuses to start without a rule per operation', () => {
  it('reads every rule of openapi/box.yaml', () => {
    const rules = AccessRules.fromDocument(loadDocument('box'));
    expect(rules.of('getStatus')).toEqual({ role: 'public' });
    expect(rules.of('logout')).toEqual({ role: 'user', readOnlyTokenAllowed: true });
    expect(rules.of('execApp')).toEqual({ role: 'admin', mutating: true });
  });

  it('throws naming the operationId when an operation has no x-berth-access', async () => {
    const document = withAccess('/groups', 'post', undefined);
    await expect(createBoxSurface(noServices, { bodyLimit: 1024, document })).rejects.toThrow(/addGroup has no x-berth-access/);
  });

  it('throws on an unknown role or flag', () => {
    expect(() => AccessRules.fromDocument(withAccess('/groups', 'post', { role: 'root' }))).toThrow(/^Berth box API access rules .*addGroup: x-berth-access needs a role/);
    expect(() => AccessRules.fromDocument(withAccess('/groups', 'post', { role: 'admin', readOnly: true }))).toThrow(/addGroup: .* readOnly/);
  });

  it('throws when the rule and the security disagree', () => {
    expect(() => AccessRules.fromDocument(withAccess('/groups', 'post', { role: 'public' }))).toThrow(/addGroup: x-berth-access and the document's security disagree/);
    expect(() => AccessRules.fromDocument(withAccess('/cloudron/status', 'get', { role: 'user' }))).toThrow(/getStatus: /);
  });
});
