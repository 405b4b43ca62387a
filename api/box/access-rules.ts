import type { Operation } from 'openapi-backend';
import { forbidden } from '../../services/core/errors';
import type { Principal } from '../../services/auth/principal';
import { ROLES, hasRole, type Role } from '../../services/auth/roles';
import type { OpenApiDocument } from '../openapi/document';
import { operationsOf, type DocumentOperation } from '../openapi/operations';

/** What an operation needs, as its `x-berth-access` in openapi/box.yaml says. */
export interface AccessRule {
  /** The smallest role that may run the operation, or `public` for routes that need no token. */
  role: Role | 'public';
  /** Mutating operations refuse read-only tokens unless this is set (logging out must always work). */
  readOnlyTokenAllowed?: boolean;
  /** A GET that changes things (exec over WebSocket): read-only tokens are refused as for other mutations. */
  mutating?: boolean;
}

export const ACCESS_EXTENSION = 'x-berth-access';

/**
 * A surface's access rules (the box API's, the scheduler API's), one per operation, read from its document. Construction throws, naming each
 * operationId, when an operation has no rule, a malformed one, or one that disagrees with its `security`
 * (public operations, and only they, have `security: []`); so a surface with a gap never starts.
 */
export class AccessRules {
  private constructor(private readonly rules: ReadonlyMap<string, AccessRule>) {}

  static fromDocument(document: OpenApiDocument): AccessRules {
    const rules = new Map<string, AccessRule>();
    const problems: string[] = [];
    for (const operation of operationsOf(document)) {
      const rule = ruleOf(operation, problems);
      if (rule) rules.set(operation.operationId, rule);
    }
    if (problems.length) throw new Error(`${(document.info as { title?: string } | undefined)?.title ?? 'API'} access rules (${ACCESS_EXTENSION}): ${problems.join('; ')}`);
    return new AccessRules(rules);
  }

  /** The rule of a known operation. */
  of(operationId: string): AccessRule {
    const rule = this.rules.get(operationId);
    if (!rule) throw new Error(`${operationId} has no access rule`);
    return rule;
  }

  /** Throws 403 when the principal may not run the operation. */
  authorize(operation: Operation, principal: Principal): void {
    const rule = this.of(operation.operationId as string);
    if (rule.role === 'public') return;
    if (!hasRole(principal.role, rule.role)) throw forbidden(`This needs the ${rule.role} role`);
    const mutating = operation.method.toLowerCase() !== 'get' || rule.mutating === true;
    if (mutating && principal.readOnly && !rule.readOnlyTokenAllowed) throw forbidden('This token is read-only');
  }
}

const ROLE_NAMES: ReadonlyArray<string> = [...ROLES, 'public'];
const FLAGS = ['readOnlyTokenAllowed', 'mutating'];

function ruleOf(operation: DocumentOperation, problems: string[]): AccessRule | undefined {
  const { operationId } = operation;
  const raw = operation.spec[ACCESS_EXTENSION];
  if (raw === undefined) {
    problems.push(`${operationId} has no ${ACCESS_EXTENSION}`);
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || !ROLE_NAMES.includes((raw as { role?: unknown }).role as string)) {
    problems.push(`${operationId}: ${ACCESS_EXTENSION} needs a role, one of ${ROLE_NAMES.join(', ')}`);
    return undefined;
  }
  const unknown = Object.entries(raw).filter(([key, value]) => key !== 'role' && !(FLAGS.includes(key) && typeof value === 'boolean'));
  if (unknown.length) {
    problems.push(`${operationId}: ${ACCESS_EXTENSION} has unknown or non-boolean ${unknown.map(([key]) => key).join(', ')}`);
    return undefined;
  }
  const rule = raw as AccessRule;
  if ((rule.role === 'public') !== (operation.security.length === 0)) {
    problems.push(`${operationId}: ${ACCESS_EXTENSION} and the document's security disagree`);
  }
  return rule;
}
