import { isIP } from 'node:net';
import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { BerthError, unauthorized, validationError } from '../core/errors';
import type { Store } from '../db/store';
import type { Instance } from '../instances/instance-repo';
import type { Principal } from '../auth/principal';
import type { LoginThrottle } from '../auth/login-throttle';
import { hashPassword, verifyPassword } from '../auth/passwords';
import { CLIENT_LOGIN, type TokenService } from '../tokens/token-service';
import { checkDisplayName, checkEmail, checkPassword, checkUsername } from '../users/user-rules';
import type { User } from '../users/user-repo';
import type { EventlogService } from '../eventlog/eventlog-service';

export const DEFAULT_CLOUDRON_NAME = 'Berth';

/** What `POST /cloudron/setup` stores: the dashboard domain and how its DNS is managed. */
export interface DashboardSetup {
  provider: string;
  domain: string;
  zoneName: string;
  /** Provider credentials: stored, never returned. */
  config: Record<string, unknown>;
  tlsConfig: { provider: string; wildcard: boolean };
  sysinfoConfig: { provider: string; ip?: string; ifname?: string };
}

export interface ProgressState {
  active: boolean;
  message: string;
  errorMessage: string | null;
}

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

export interface SetupInput {
  dnsConfig: {
    provider: string;
    domain: string;
    zoneName?: string;
    config: Record<string, unknown>;
    tlsConfig?: { provider?: string; wildcard?: boolean };
  };
  sysinfoConfig?: { provider: string; ip?: string; ifname?: string };
}

const SETTING_ACTIVATED = 'activated';
const SETTING_DASHBOARD = 'dashboard';
/** Where the box's name is stored; SettingsService writes it. */
export const SETTING_NAME = 'cloudron_name';
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** The box's lifecycle: status, first-run setup and activation, login and logout. */
export class CloudronService {
  constructor(
    private readonly deps: {
      store: Store;
      tokens: TokenService;
      throttle: LoginThrottle;
      eventlog: EventlogService;
      clock: Clock;
      version: string;
      /** The restore's progress (RestoreService); idle when absent. */
      restoreStatus?: (instanceId: string) => Promise<ProgressState>;
    },
  ) {}

  async status(instance: Instance): Promise<Status> {
    const found = await this.deps.store.settings.getMany(instance.id, [SETTING_ACTIVATED, SETTING_DASHBOARD, SETTING_NAME]);
    const activated = found[SETTING_ACTIVATED];
    const dashboard = found[SETTING_DASHBOARD] as DashboardSetup | undefined;
    const name = found[SETTING_NAME] as string | undefined;
    return {
      version: this.deps.version,
      provider: 'generic',
      cloudronName: name ?? DEFAULT_CLOUDRON_NAME,
      footer: '',
      adminFqdn: dashboard ? `my.${dashboard.domain}` : '',
      activated: activated !== undefined,
      setup: {
        active: false,
        message: dashboard ? `Dashboard domain ${dashboard.domain} is set up` : '',
        errorMessage: null,
      },
      restore: (await this.deps.restoreStatus?.(instance.id)) ?? { active: false, message: '', errorMessage: null },
    };
  }

  async config(instanceId: string): Promise<BoxConfig> {
    const found = await this.deps.store.settings.getMany(instanceId, [SETTING_DASHBOARD, SETTING_NAME]);
    const dashboard = found[SETTING_DASHBOARD] as DashboardSetup | undefined;
    const name = found[SETTING_NAME] as string | undefined;
    const adminDomain = dashboard?.domain ?? '';
    return {
      adminDomain,
      adminFqdn: adminDomain ? `my.${adminDomain}` : '',
      mailFqdn: adminDomain ? `my.${adminDomain}` : '',
      version: this.deps.version,
      isDemo: false,
      provider: 'generic',
      cloudronName: name ?? DEFAULT_CLOUDRON_NAME,
    };
  }

  /** Stores the dashboard domain before activation. DNS records and certificates are the domains module's job. */
  async setup(instance: Instance, input: SetupInput, ip: string | null): Promise<void> {
    if (await this.deps.store.settings.get(instance.id, SETTING_ACTIVATED)) {
      throw new BerthError('ALREADY_ACTIVATED', 409, 'Setup is disabled once the box is activated');
    }
    const domain = checkDomain(input.dnsConfig.domain, 'dnsConfig.domain');
    const zoneName = input.dnsConfig.zoneName ? checkDomain(input.dnsConfig.zoneName, 'dnsConfig.zoneName') : domain;
    if (domain !== zoneName && !domain.endsWith(`.${zoneName}`)) {
      throw validationError('dnsConfig.zoneName must be the domain or one of its parents', { field: 'dnsConfig.zoneName' });
    }
    const sysinfo = input.sysinfoConfig ?? { provider: 'generic' };
    if (sysinfo.provider === 'fixed' && !(sysinfo.ip && isIP(sysinfo.ip))) {
      throw validationError('sysinfoConfig.ip must be an IP address for the fixed provider', { field: 'sysinfoConfig.ip' });
    }
    if (sysinfo.provider === 'network-interface' && !sysinfo.ifname) {
      throw validationError('sysinfoConfig.ifname is required for the network-interface provider', { field: 'sysinfoConfig.ifname' });
    }
    const setup: DashboardSetup = {
      provider: input.dnsConfig.provider,
      domain,
      zoneName,
      config: input.dnsConfig.config,
      tlsConfig: {
        provider: input.dnsConfig.tlsConfig?.provider ?? 'letsencrypt-prod',
        wildcard: input.dnsConfig.tlsConfig?.wildcard ?? false,
      },
      sysinfoConfig: sysinfo,
    };
    await this.deps.store.settings.set(instance.id, SETTING_DASHBOARD, setup);
    await this.deps.eventlog.record({ instanceId: instance.id, userId: null, tokenId: null, ip }, 'cloudron.setup', domain, {
      provider: setup.provider,
      domain,
      zoneName,
      // Credentials stay out of the audit log entirely; their names say what was configured.
      configKeys: Object.keys(setup.config),
    });
  }

  /** Creates the owner and a login token, once per tenant: the `activated` latch makes a second call a 409. */
  async activate(instance: Instance, input: ActivateInput, ip: string | null): Promise<{ user: User; token: string; expires: string }> {
    const username = checkUsername(input.username);
    const email = checkEmail(input.email);
    const password = checkPassword(input.password);
    const displayName = checkDisplayName(input.displayName ?? '');
    const passwordHash = await hashPassword(password);
    const now = this.deps.clock().toISOString();

    const activated = await this.deps.store.transaction(async (repos) => {
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
    const user = await this.deps.store.users.findByLogin(instance.id, login);
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

function checkDomain(raw: string, field: string): string {
  const domain = raw.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(domain)) throw validationError(`${field} is not a valid domain name`, { field });
  return domain;
}
