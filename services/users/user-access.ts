import { forbidden } from '../core/errors';
import type { Principal } from '../auth/principal';
import { hasRole, type Role } from '../auth/roles';
import type { User } from './user-repo';

/** An actor acts only on users whose role is at most their own; only an owner acts on an owner. */
export function assertMayActOn(principal: Principal, target: User): void {
  if (target.role === 'owner' && principal.role !== 'owner') throw forbidden('Only an owner can manage an owner');
  if (!hasRole(principal.role, target.role)) throw forbidden(`A ${principal.role} cannot manage a ${target.role}`);
}

/** A role can be granted only up to one's own. */
export function assertMayGrant(principal: Principal, role: Role): void {
  if (!hasRole(principal.role, role)) throw forbidden(`A ${principal.role} cannot grant the ${role} role`);
}
