import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import { BerthError, conflict, notFound, unauthorized, validationError } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import type { Transactor } from '../db/transactor';
import type { Principal } from '../auth/principal';
import type { LoginThrottle } from '../auth/login-throttle';
import { hashPassword } from '../auth/passwords';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { Instance } from '../instances/instance-repo';
import type { Mailer } from '../mail/mailer';
import { CLIENT_LOGIN, hashSecret, type TokenService } from '../tokens/token-service';
import { assertMayActOn } from './user-access';
import type { User, UserRepo } from './user-repo';
import { checkDisplayName, checkPassword, checkUsername } from './user-rules';
import type { UserTokenKind, UserTokenRepo } from './user-token-repo';
import type { TokenRepo } from '../tokens/token-repo';

const INVITE_LIFETIME_MS = 7 * 24 * 3600_000;
const RESET_LIFETIME_MS = 24 * 3600_000;

export interface Invitation {
  /** The secret (seed 001 calls it `resetToken`). */
  token: string;
  link: string;
}

/**
 * Invitations (a user finishes their account from a link) and password resets. Tokens are 256 random bits,
 * stored hashed with an expiry, one per user and kind (a new one invalidates the previous), usable once.
 */
export class InvitationService {
  constructor(
    private readonly deps: {
      users: UserRepo;
      userTokens: UserTokenRepo;
      /** Redeeming a link: the link's token used up, the user updated, their login tokens issued or ended. */
      transactor: Transactor<{ users: UserRepo; userTokens: UserTokenRepo; tokens: TokenRepo }>;
      tokens: TokenService;
      mailer: Mailer;
      eventlog: EventlogService;
      throttle: LoginThrottle;
      clock: Clock;
      /** The dashboard's base URL for a tenant, for links. */
      dashboardUrl: (instanceId: string) => Promise<string>;
    },
  ) {}

  async createInvite(principal: Principal, actor: Actor, userId: string): Promise<Invitation> {
    const user = await this.user(principal.instanceId, userId);
    assertMayActOn(principal, user);
    const invitation = await this.invitation(user);
    await this.deps.eventlog.record(actor, 'user.invite', userId, { sent: false });
    return invitation;
  }

  /** Mails the invitation; without an SMTP relay, 424 and nothing changes (create_invite still gives a link). */
  async sendInvite(principal: Principal, actor: Actor, userId: string): Promise<void> {
    if (!this.deps.mailer.configured) {
      throw new BerthError('FAILED_DEPENDENCY', 424, 'No SMTP relay is configured (BERTH_SMTP_URL); use create_invite for a link');
    }
    const user = await this.user(principal.instanceId, userId);
    assertMayActOn(principal, user);
    await this.mail(user, await this.invitation(user));
    await this.deps.eventlog.record(actor, 'user.invite', userId, { sent: true });
  }

  /**
   * One invitation, returned and, when an SMTP relay is set up, mailed too (the same link: a second token would
   * void the first). For owners of tenants the admin API creates.
   */
  async inviteAndMail(principal: Principal, actor: Actor, userId: string): Promise<Invitation> {
    const user = await this.user(principal.instanceId, userId);
    assertMayActOn(principal, user);
    const invitation = await this.invitation(user);
    // A relay that fails does not undo the tenant: the link is returned either way, and the log says.
    const sent = this.deps.mailer.configured && (await this.mail(user, invitation).then(() => true, () => false));
    await this.deps.eventlog.record(actor, 'user.invite', userId, { sent });
    return invitation;
  }

  private async invitation(user: User): Promise<Invitation> {
    const token = await this.issue(user, 'invite', INVITE_LIFETIME_MS);
    return { token, link: `${await this.deps.dashboardUrl(user.instanceId)}/setupaccount.html?inviteToken=${token}` };
  }

  private async mail(user: User, invitation: Invitation): Promise<void> {
    await this.deps.mailer.send({
      to: user.email,
      subject: 'You are invited to Berth',
      text: `Hello${user.displayName ? ` ${user.displayName}` : ''},\n\nYou have been invited. Set up your account here:\n\n${invitation.link}\n\nThis link works once and expires in 7 days.\n`,
    });
  }

  /** Public: the invited user picks a username (if none yet), a display name and a password, and is logged in. */
  async acceptInvite(instance: Instance, input: { inviteToken: string; password: string; username?: string; displayName?: string }, ip: string | null) {
    const user = await this.redeem(instance, input.inviteToken, 'invite');
    const username = user.username ?? (input.username !== undefined ? checkUsername(input.username) : undefined);
    if (!username) throw validationError('username is required', { field: 'username' });
    if (user.username && input.username !== undefined && input.username !== user.username) {
      throw conflict('The username was already chosen', { field: 'username' });
    }
    const passwordHash = await hashPassword(checkPassword(input.password));
    const displayName = input.displayName === undefined ? user.displayName : checkDisplayName(input.displayName);
    const issued = await this.deps.transactor.transaction(async (repos) => {
      if (!(await repos.userTokens.consume(hashSecret(input.inviteToken)))) throw unauthorized('This invitation was already used');
      await repos.users.update(instance.id, user.id, { username, displayName, passwordHash, updatedAt: this.deps.clock().toISOString() });
      return this.deps.tokens.issue({ instanceId: instance.id, userId: user.id, name: 'login', clientId: CLIENT_LOGIN }, repos.tokens);
    }).catch((err) => {
      if (isUniqueViolation(err)) throw conflict('Another user has this username', { field: 'username' });
      throw err;
    });
    await this.deps.eventlog.record({ instanceId: instance.id, userId: user.id, tokenId: issued.token.id, ip }, 'user.invite.accept', user.id, { username });
    return { token: issued.secret, expiresAt: issued.token.expiresAt as string };
  }

  /**
   * Public: mails a reset link to the user with this username or email. Always answers the same, so it
   * does not tell who has an account; limited per identifier and address like logins.
   */
  async requestReset(instance: Instance, identifier: string, ip: string): Promise<void> {
    const login = identifier.trim().toLowerCase();
    const key = `${instance.id}:reset:${login}`;
    this.deps.throttle.check([key], ip);
    this.deps.throttle.recordFailure([key], ip);
    const user = await this.deps.users.findByLogin(instance.id, login);
    if (!user || !user.active || !this.deps.mailer.configured) return;
    const token = await this.issue(user, 'reset', RESET_LIFETIME_MS);
    const link = `${await this.deps.dashboardUrl(instance.id)}/passwordreset.html?resetToken=${token}`;
    await this.deps.mailer.send({
      to: user.email,
      subject: 'Reset your Berth password',
      text: `Someone asked to reset the password of ${user.username ?? user.email}. If it was you, choose a new one here:\n\n${link}\n\nThis link works once and expires in 24 hours. If it was not you, ignore this mail.\n`,
    });
    await this.deps.eventlog.record({ instanceId: instance.id, userId: null, tokenId: null, ip }, 'user.reset.request', user.id);
  }

  /** Public: sets a new password from a reset link; every login session of the user ends. */
  async resetPassword(instance: Instance, input: { resetToken: string; password: string }, ip: string | null): Promise<void> {
    const user = await this.redeem(instance, input.resetToken, 'reset');
    const passwordHash = await hashPassword(checkPassword(input.password));
    await this.deps.transactor.transaction(async (repos) => {
      if (!(await repos.userTokens.consume(hashSecret(input.resetToken)))) throw unauthorized('This reset link was already used');
      await repos.users.update(instance.id, user.id, { passwordHash, updatedAt: this.deps.clock().toISOString() });
      await repos.tokens.deleteForUser(instance.id, user.id, { clientId: CLIENT_LOGIN });
    });
    await this.deps.eventlog.record({ instanceId: instance.id, userId: user.id, tokenId: null, ip }, 'user.reset', user.id);
  }

  private async issue(user: User, kind: UserTokenKind, lifetimeMs: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.deps.clock();
    await this.deps.userTokens.replace({
      tokenHash: hashSecret(token),
      instanceId: user.instanceId,
      userId: user.id,
      kind,
      expiresAt: new Date(now.getTime() + lifetimeMs).toISOString(),
      createdAt: now.toISOString(),
    });
    return token;
  }

  /** The user behind a valid, unexpired token of this kind and tenant; 401 otherwise. */
  private async redeem(instance: Instance, secret: string, kind: UserTokenKind): Promise<User> {
    const found = await this.deps.userTokens.find(hashSecret(secret), kind);
    const what = kind === 'invite' ? 'invitation' : 'reset link';
    if (!found || found.instanceId !== instance.id) throw unauthorized(`Invalid or used ${what}`);
    if (found.expiresAt <= this.deps.clock().toISOString()) throw unauthorized(`This ${what} has expired`);
    const user = await this.deps.users.get(instance.id, found.userId);
    if (!user || !user.active) throw unauthorized(`Invalid or used ${what}`);
    return user;
  }

  private async user(instanceId: string, id: string): Promise<User> {
    const user = await this.deps.users.get(instanceId, id);
    if (!user) throw notFound('No such user');
    return user;
  }
}
