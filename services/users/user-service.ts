import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { BerthError, conflict, notFound, validationError } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import type { Transactor } from '../db/transactor';
import type { GroupRepo } from '../groups/group-repo';
import type { TokenRepo } from '../tokens/token-repo';
import type { Principal } from '../auth/principal';
import { hashPassword } from '../auth/passwords';
import type { Role } from '../auth/roles';
import { assertMayActOn, assertMayGrant } from './user-access';
import { changes, type Actor, type EventlogService } from '../eventlog/eventlog-service';
import type { User, UserPatch, UserRepo } from './user-repo';
import { checkDisplayName, checkEmail, checkPassword, checkUsername } from './user-rules';

export interface UserWithGroups extends User {
  groupIds: string[];
}

export interface NewUser {
  email: string;
  username?: string;
  displayName?: string;
  password?: string;
  role?: Role;
  /** Seed 001's way of asking for the admin role. */
  admin?: boolean;
}

export interface UserUpdate {
  email?: string;
  fallbackEmail?: string;
  username?: string;
  displayName?: string;
  role?: Role;
  admin?: boolean;
  active?: boolean;
}

/** The repositories UserService reads, and writes in one transaction. */
interface UserRepos {
  users: UserRepo;
  groups: GroupRepo;
  tokens: TokenRepo;
}

/**
 * Managing other users. The rules: an actor acts only on users whose role is at most their own, and only an
 * owner acts on an owner; a role can be granted only up to one's own; there is always an active owner; nobody
 * deactivates, demotes or deletes themselves here (that would lock them out mid-request).
 */
export class UserService {
  constructor(private readonly deps: UserRepos & { transactor: Transactor<UserRepos>; eventlog: EventlogService; clock: Clock }) {}

  async list(principal: Principal, query: { search?: string; page: number; perPage: number }): Promise<UserWithGroups[]> {
    const users = await this.deps.users.list({ instanceId: principal.instanceId, ...query, search: query.search?.trim() || undefined });
    return this.withGroups(users);
  }

  async get(principal: Principal, id: string): Promise<UserWithGroups> {
    const [user] = await this.withGroups([await this.find(principal.instanceId, id)]);
    return user;
  }

  async create(principal: Principal, actor: Actor, input: NewUser): Promise<UserWithGroups> {
    const role = input.role ?? (input.admin ? 'admin' : 'user');
    assertMayGrant(principal, role);
    const now = this.deps.clock().toISOString();
    const user: User = {
      id: newId('uid'),
      instanceId: principal.instanceId,
      username: input.username === undefined ? null : checkUsername(input.username),
      email: checkEmail(input.email),
      fallbackEmail: '',
      displayName: checkDisplayName(input.displayName ?? ''),
      role,
      active: true,
      passwordHash: input.password === undefined ? null : await hashPassword(checkPassword(input.password)),
      createdAt: now,
      updatedAt: now,
    };
    await this.uniquely(() => this.deps.users.insert(user));
    await this.deps.eventlog.record(actor, 'user.add', user.id, { user: publicFields(user) });
    return { ...user, groupIds: [] };
  }

  async update(principal: Principal, actor: Actor, id: string, input: UserUpdate): Promise<UserWithGroups> {
    const user = await this.find(principal.instanceId, id);
    assertMayActOn(principal, user);
    const patch: UserPatch = { updatedAt: this.deps.clock().toISOString() };
    if (input.email !== undefined) patch.email = checkEmail(input.email);
    if (input.fallbackEmail !== undefined) patch.fallbackEmail = input.fallbackEmail === '' ? '' : checkEmail(input.fallbackEmail, 'fallbackEmail');
    if (input.username !== undefined) {
      if (user.username !== null && input.username !== user.username) throw conflict('A username cannot be changed once set', { field: 'username' });
      patch.username = checkUsername(input.username);
    }
    if (input.displayName !== undefined) patch.displayName = checkDisplayName(input.displayName);
    const role = input.role ?? (input.admin === undefined ? undefined : input.admin ? 'admin' : user.role === 'admin' ? 'user' : user.role);
    if (role !== undefined && role !== user.role) {
      assertMayGrant(principal, role);
      patch.role = role;
    }
    if (input.active !== undefined) patch.active = input.active;
    const losesOwner = user.role === 'owner' && user.active && ((patch.role && patch.role !== 'owner') || patch.active === false);
    if (id === principal.userId && (patch.role || patch.active === false)) {
      throw conflict('You cannot change your own role or deactivate yourself');
    }
    await this.deps.transactor.transaction(async (repos) => {
      await this.uniquely(() => repos.users.update(principal.instanceId, id, patch));
      if (losesOwner && (await repos.users.countActiveOwners(principal.instanceId)) === 0) {
        throw conflict('There must always be an active owner');
      }
      // A deactivated user's sessions and tokens end at once (authentication also checks `active`).
      if (patch.active === false) await repos.tokens.deleteAllForUser(principal.instanceId, id);
    });
    const { updatedAt: _, ...changed } = patch;
    await this.deps.eventlog.record(actor, 'user.update', id, { changes: changes(user as unknown as Record<string, unknown>, changed) });
    return this.get(principal, id);
  }

  async remove(principal: Principal, actor: Actor, id: string): Promise<void> {
    const user = await this.find(principal.instanceId, id);
    assertMayActOn(principal, user);
    if (id === principal.userId) throw conflict('You cannot delete yourself');
    await this.deps.transactor.transaction(async (repos) => {
      // Tokens and group memberships go with the row (foreign keys cascade).
      await repos.users.delete(principal.instanceId, id);
      if (user.role === 'owner' && (await repos.users.countActiveOwners(principal.instanceId)) === 0) {
        throw conflict('There must always be an active owner');
      }
    });
    await this.deps.eventlog.record(actor, 'user.remove', id, { user: publicFields(user) });
  }

  /** Sets another user's password; their login sessions end. */
  async setPassword(principal: Principal, actor: Actor, id: string, password: string): Promise<void> {
    const user = await this.find(principal.instanceId, id);
    assertMayActOn(principal, user);
    const passwordHash = await hashPassword(checkPassword(password));
    await this.deps.users.update(principal.instanceId, id, { passwordHash, updatedAt: this.deps.clock().toISOString() });
    await this.deps.tokens.deleteForUser(principal.instanceId, id, { clientId: 'cid-webadmin', exceptId: principal.tokenId });
    await this.deps.eventlog.record(actor, 'user.password', id, { password: 'changed' });
  }

  async setGroups(principal: Principal, actor: Actor, id: string, groupIds: string[]): Promise<void> {
    const user = await this.find(principal.instanceId, id);
    assertMayActOn(principal, user);
    const wanted = [...new Set(groupIds)];
    const found = await this.deps.groups.existing(principal.instanceId, wanted);
    const unknown = wanted.filter((g) => !found.includes(g));
    if (unknown.length) throw validationError(`groupIds: no such group ${unknown.join(', ')}`, { field: 'groupIds' });
    const before = (await this.deps.groups.groupsOf([id])).get(id) ?? [];
    await this.deps.transactor.transaction((repos) => repos.groups.setGroupsOf(id, wanted));
    await this.deps.eventlog.record(actor, 'user.groups', id, { changes: { groupIds: { before, after: wanted } } });
  }

  private async find(instanceId: string, id: string): Promise<User> {
    const user = await this.deps.users.get(instanceId, id);
    if (!user) throw notFound('No such user');
    return user;
  }

  private async withGroups(users: User[]): Promise<UserWithGroups[]> {
    const groups = await this.deps.groups.groupsOf(users.map((u) => u.id));
    return users.map((u) => ({ ...u, groupIds: groups.get(u.id) ?? [] }));
  }

  private async uniquely(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (isUniqueViolation(err)) {
        const message = String((err as Error).message);
        // SQLite names the columns (`users.email`), PostgreSQL the constraint (`users_instance_id_email_unique`).
        const field = /users\.email\b|_email_unique/.test(message) ? 'email' : 'username';
        throw new BerthError('CONFLICT', 409, `Another user has this ${field}`, { field });
      }
      throw err;
    }
  }
}

/** What the audit log keeps of a user: never the password hash. */
function publicFields(user: User) {
  return { username: user.username, email: user.email, displayName: user.displayName, role: user.role, active: user.active };
}
