import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { BerthError, unauthorized } from '../core/errors';
import type { Transactor } from '../db/transactor';
import type { SettingsRepo } from '../settings/settings-repo';
import type { TokenRepo } from '../tokens/token-repo';
import type { Instance } from '../instances/instance-repo';
import type { Principal } from '../auth/principal';
import type { LoginThrottle } from '../auth/login-throttle';
import { hashPassword, verifyPassword } from '../auth/passwords';
import { CLIENT_LOGIN, type TokenService } from '../tokens/token-service';
import { checkDisplayName, checkEmail, checkPassword, checkUsername } from '../users/user-rules';
import type { User, UserRepo } from '../users/user-repo';
import type { EventlogService } from '../eventlog/eventlog-service';
import { DEFAULT_BOX_NAME, NAME_SETTING } from '../settings/settings-service';
import { dashboardFqdn, readyDashboard, SETTING_ACTIVATED, SETTING_DASHBOARD, type DashboardSetup, type DashboardSetupService, type ProgressState } from './dashboard-setup';

export interface Status {
  version: string;
  provider: string;
  cloudronName: string;
  footer: string;
  adminFqdn: string;
  activated: boolean;
  setup: ProgressState;
  restore: ProgressState;
}

export interface BoxConfig {
  adminDomain: string;
  adminFqdn: string;
  mailFqdn: string;
  version: string;
  isDemo: boolean;
  provider: string;
  cloudronName: string;
}

export interface ActivateInput {
  username: string;
  password: string;
  email: string;
  displayName?: string;
}

/** The box's lifecycle: status, first-run setup and activation, login and logout. */
export class CloudronService {
  constructor(
    private readonly deps: {
      settings: SettingsRepo;
      users: UserRepo;
      /** Activation: the once-only latch, the owner and their first login token, together or not at all. */
      transactor: Transactor<{ settings: SettingsRepo; users: UserRepo; tokens: TokenRepo }>;
      tokens: TokenService;
      throttle: LoginThrottle;
      eventlog: EventlogService;
      clock: Clock;
      version: string;
      /** The restore's progress (RestoreService); idle when absent. */
      restoreStatus?: (instanceId: string) => Promise<ProgressState>;
      /** First-run setup (its own file): `setup` in status is its progress. */
      setup: DashboardSetupService;
    },
  ) {}

  async status(instance: Instance): Promise<Status> {
    const found = await this.deps.settings.getMany(instance.id, [SETTING_ACTIVATED, SETTING_DASHBOARD, NAME_SETTING]);
    const activated = found[SETTING_ACTIVATED];
    const dashboard = readyDashboard(found[SETTING_DASHBOARD] as DashboardSetup | undefined);
    const name = found[NAME_SETTING] as string | undefined;
    return {
      version: this.deps.version,
      provider: 'generic',
      cloudronName: name ?? DEFAULT_BOX_NAME,
      footer: '',
      adminFqdn: dashboard ? dashboardFqdn(dashboard.domain) : '',
      activated: activated !== undefined,
      setup: await this.deps.setup.progress(instance.id),
      restore: (await this.deps.restoreStatus?.(instance.id)) ?? { active: false, message: '', errorMessage: null },
    };
  }

  async config(instanceId: string): Promise<BoxConfig> {
    const found = await this.deps.settings.getMany(instanceId, [SETTING_DASHBOARD, NAME_SETTING]);
    const dashboard = readyDashboard(found[SETTING_DASHBOARD] as DashboardSetup | undefined);
    const name = found[NAME_SETTING] as string | undefined;
    const adminDomain = dashboard?.domain ?? '';
    return {
      adminDomain,
      adminFqdn: adminDomain ? dashboardFqdn(adminDomain) : '',
      mailFqdn: adminDomain ? dashboardFqdn(adminDomain) : '',
      version: this.deps.version,
      isDemo: false,
      provider: 'generic',
      cloudronName: name ?? DEFAULT_BOX_NAME,
    };
  }

  /** Creates the owner and a login token, once per tenant: the `activated` latch makes a second call a 409. */
  async activate(instance: Instance, input: ActivateInput, ip: string | null): Promise<{ user: User; token: string; expires: string }> {
    const username = checkUsername(input.username);
    const email = checkEmail(input.email);
    const password = checkPassword(input.password);
    const displayName = checkDisplayName(input.displayName ?? '');
    const passwordHash = await hashPassword(password);
    const now = this.deps.clock().toISOString();

    const activated = await this.deps.transactor.transaction(async (repos) => {
      if (!(await repos.settings.insertOnce(instance.id, SETTING_ACTIVATED, { at: now }))) {
        throw new BerthError('ALREADY_ACTIVATED', 409, 'Already activated');
      }
      const user: User = {
        id: newId('uid'),
        instanceId: instance.id,
        username,
        email,
        fallbackEmail: '',
        displayName,
        role: 'owner',
        active: true,
        passwordHash,
        createdAt: now,
        updatedAt: now,
      };
      await repos.users.insert(user);
      const issued = await this.deps.tokens.issue(
        { instanceId: instance.id, userId: user.id, name: 'activation', clientId: CLIENT_LOGIN },
        repos.tokens,
      );
      return { user, token: issued.secret, expires: issued.token.expiresAt as string, tokenId: issued.token.id };
    });
    await this.deps.eventlog.record({ instanceId: instance.id, userId: activated.user.id, tokenId: activated.tokenId, ip }, 'cloudron.activate', activated.user.id, {
      username,
      email,
    });
    return activated;
  }

  /** Username (or email) and password for a login token, behind the failed-login throttle. */
  async login(instance: Instance, input: { username: string; password: string; address: string }) {
    const login = input.username.trim().toLowerCase();
    const user = await this.deps.users.findByLogin(instance.id, login);
    const throttleKeys = [`${instance.id}:${login}`, ...(user ? [`user:${user.id}`] : [])];
    this.deps.throttle.check(throttleKeys, input.address);
    const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
    if (!user || !ok || !user.active) {
      this.deps.throttle.recordFailure(throttleKeys, input.address);
      await this.deps.eventlog.record({ instanceId: instance.id, userId: null, tokenId: null, ip: input.address }, 'user.login.failed', user?.id ?? null, {
        username: login,
        reason: !user ? 'unknown user' : !ok ? 'wrong password' : 'inactive',
      });
      throw unauthorized('Invalid username or password');
    }
    this.deps.throttle.recordSuccess(throttleKeys);
    const issued = await this.deps.tokens.issue({
      instanceId: instance.id,
      userId: user.id,
      name: 'login',
      clientId: CLIENT_LOGIN,
    });
    await this.deps.eventlog.record({ instanceId: instance.id, userId: user.id, tokenId: issued.token.id, ip: input.address }, 'user.login', user.id);
    return { user, token: issued.secret, expiresAt: issued.token.expiresAt as string };
  }

  async logout(principal: Principal, ip: string | null): Promise<void> {
    await this.deps.tokens.revoke(principal, principal.tokenId);
    await this.deps.eventlog.record({ instanceId: principal.instanceId, userId: principal.userId, tokenId: principal.tokenId, ip }, 'user.logout', principal.userId);
  }
}
