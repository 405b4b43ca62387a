/** Roles from most to least powerful, as Cloudron's. */
export const ROLES = ['owner', 'admin', 'usermanager', 'user'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { owner: 3, admin: 2, usermanager: 1, user: 0 };

export function hasRole(actual: Role, needed: Role): boolean {
  return RANK[actual] >= RANK[needed];
}
