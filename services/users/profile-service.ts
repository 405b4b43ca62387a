import type { Clock } from '../core/clock';
import { conflict, notFound, preconditionFailed, validationError } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import type { Principal } from '../auth/principal';
import { hashPassword, verifyPassword } from '../auth/passwords';
import type { TokenService } from '../tokens/token-service';
import type { LoginThrottle } from '../auth/login-throttle';
import type { User, UserPatch, UserRepo } from './user-repo';
import { checkDisplayName, checkEmail, checkPassword } from './user-rules';
import { changes, type Actor, type EventlogService } from '../eventlog/eventlog-service';

export interface ProfileUpdate {
  displayName?: string;
  email?: string;
  fallbackEmail?: string;
  /** The current password; needed to change the email. */
  password?: string;
}

/** What a user does to their own account. */
export class ProfileService {
  constructor(private readonly deps: { users: UserRepo; tokens: TokenService; eventlog: EventlogService; throttle: LoginThrottle; clock: Clock }) {}

  async get(principal: Principal): Promise<User> {
    const user = await this.deps.users.get(principal.instanceId, principal.userId);
    if (!user) throw notFound('No such user');
    return user;
  }

  async update(principal: Principal, actor: Actor, input: ProfileUpdate): Promise<User> {
    const user = await this.get(principal);
    const patch: UserPatch = { updatedAt: this.deps.clock().toISOString() };
    if (input.displayName !== undefined) patch.displayName = checkDisplayName(input.displayName);
    if (input.fallbackEmail !== undefined) {
      patch.fallbackEmail = input.fallbackEmail === '' ? '' : checkEmail(input.fallbackEmail, 'fallbackEmail');
    }
    if (input.email !== undefined) {
      const email = checkEmail(input.email);
      if (email !== user.email) {
        if (input.password === undefined) throw validationError('password is required to change the email', { field: 'password' });
        await this.checkCurrentPassword(user, input.password, actor);
        patch.email = email;
      }
    }
    try {
      await this.deps.users.update(principal.instanceId, principal.userId, patch);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('Another user has this email', { field: 'email' });
      throw err;
    }
    const { updatedAt: _, ...changed } = patch;
    await this.deps.eventlog.record(actor, 'user.update', principal.userId, { changes: changes(user as unknown as Record<string, unknown>, changed) });
    return this.get(principal);
  }

  async changePassword(principal: Principal, actor: Actor, current: string, next: string): Promise<void> {
    const user = await this.get(principal);
    await this.checkCurrentPassword(user, current, actor);
    checkPassword(next, 'newPassword');
    await this.deps.users.update(principal.instanceId, principal.userId, {
      passwordHash: await hashPassword(next),
      updatedAt: this.deps.clock().toISOString(),
    });
    await this.deps.tokens.revokeOtherLogins(principal);
    await this.deps.eventlog.record(actor, 'user.password', principal.userId, { password: 'changed' });
  }

  /** Wrong current passwords count like failed logins: a stolen token must not become a password oracle. */
  private async checkCurrentPassword(user: User, password: string, actor: Actor): Promise<void> {
    const keys = [`user:${user.id}`];
    const address = actor.ip ?? 'unknown';
    this.deps.throttle.check(keys, address);
    if (!(await verifyPassword(password, user.passwordHash))) {
      this.deps.throttle.recordFailure(keys, address);
      throw preconditionFailed('Wrong password');
    }
  }
}
