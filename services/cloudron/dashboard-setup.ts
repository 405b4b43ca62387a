import { PREPARE_DASHBOARD_TASK, PREPARE_DASHBOARD_TASK_TYPE } from './cloudron-tasks';
import { isIP } from 'node:net';
import type { Clock } from '../core/clock';
import { BerthError, conflict, validationError } from '../core/errors';
import type { SettingsRepo } from '../settings/settings-repo';
import type { TaskRepo } from '../tasks/task-repo';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { Instance } from '../instances/instance-repo';
import type { DashboardPublisher } from '../proxy/reverse-proxy';
import { dashboardOwner, type AppDns } from '../domains/app-dns';
import { interfaceIpv4 } from '../domains/box-ip';
import type { DomainService, DomainView } from '../domains/domain-service';
import type { DomainChange } from '../domains/domain-sync';
import type { TaskContext } from '../tasks/task-handler';
import type { TaskService } from '../tasks/task-service';


/** What `POST /cloudron/setup` stores: the dashboard domain and how the box's address is found. */
export interface DashboardSetup {
  provider: string;
  domain: string;
  zoneName: string;
  tlsConfig: { provider: string; wildcard: boolean };
  sysinfoConfig: { provider: string; ip?: string; ifname?: string };
  /** False from setup until its task has finished; absent in settings stored before setup had a task. */
  ready?: boolean;
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

export interface ProgressState {
  active: boolean;
  message: string;
  errorMessage: string | null;
}

export const SETTING_ACTIVATED = 'activated';
export const SETTING_DASHBOARD = 'dashboard';
/** The reason the last setup call failed before its task started (cleared by the next call that starts one). */
const SETTING_SETUP_ERROR = 'setup_error';

export const dashboardFqdn = (domain: string) => `my.${domain}`;
/** A finished setup's dashboard; a setup in progress has none yet. */
export const readyDashboard = (setup: DashboardSetup | undefined) => (setup && setup.ready !== false ? setup : undefined);

export interface DashboardSetupDeps {
  settings: SettingsRepo;
  taskRepo: TaskRepo;
  domains: DomainService;
  tasks: Pick<TaskService, 'create'>;
  dns: Pick<AppDns, 'syncOwned'>;
  publisher: DashboardPublisher;
  eventlog: EventlogService;
  clock: Clock;
}

/**
 * The first-run setup of a tenant's dashboard, as Cloudron's: the request checks the input and the DNS provider's
 * settings live (the domain becomes one of the tenant's domains), then a `prepareDashboardDomain` task writes
 * the A record of my.<domain>, gets its certificate and publishes it to the reverse proxy. `progress` is what
 * `setup` in `GET /cloudron/status` shows.
 */
export class DashboardSetupService {
  constructor(private readonly deps: DashboardSetupDeps) {}

  async start(instance: Instance, input: SetupInput, ip: string | null): Promise<{ taskId: number }> {
    const { settings } = this.deps;
    if (await settings.get(instance.id, SETTING_ACTIVATED)) {
      throw new BerthError('ALREADY_ACTIVATED', 409, 'Setup is disabled once the box is activated');
    }
    const objectKey = `dashboard:${instance.id}`;
    const [running] = await this.deps.taskRepo.unfinishedOn(objectKey);
    if (running) throw conflict(`Setup is already running (task ${running.id}); GET /api/v1/cloudron/status shows its progress`, { taskId: running.id });
    const actor: Actor = { instanceId: instance.id, userId: null, tokenId: null, ip };
    const setup = await this.checked(actor, input);
    await settings.set(instance.id, SETTING_DASHBOARD, setup);
    await settings.set(instance.id, SETTING_SETUP_ERROR, null);
    // A 409 here is a setup started meanwhile, a 503 an unreachable queue: neither is the input's fault.
    const task = await this.deps.tasks.create(PREPARE_DASHBOARD_TASK_TYPE, { instanceId: instance.id, args: { instanceId: instance.id, domain: setup.domain }, objectKey });
    await this.deps.eventlog.record(actor, 'cloudron.setup', setup.domain, { provider: setup.provider, zoneName: setup.zoneName, taskId: task.id });
    return { taskId: task.id };
  }

  /** The input and the provider's settings checked, the domain saved; a refusal is remembered for status, as Cloudron's. */
  private async checked(actor: Actor, input: SetupInput): Promise<DashboardSetup> {
    try {
      const sysinfoConfig = checkSysinfo(input.sysinfoConfig ?? { provider: 'generic' });
      const domain = await this.saveDomain(actor, input.dnsConfig);
      return {
        provider: domain.provider,
        domain: domain.domain,
        zoneName: domain.zoneName,
        tlsConfig: { provider: domain.tlsConfig.provider, wildcard: domain.tlsConfig.wildcard },
        sysinfoConfig,
        ready: false,
      };
    } catch (err) {
      if (err instanceof BerthError) {
        await this.deps.settings.set(actor.instanceId, SETTING_SETUP_ERROR, { message: err.message, at: this.deps.clock().toISOString() });
      }
      throw err;
    }
  }

  /** The newest setup: active while its task is unfinished, its progress message, its error when it failed. */
  async progress(instanceId: string): Promise<ProgressState> {
    const { settings, taskRepo: tasks } = this.deps;
    const refused = await settings.get<{ message: string } | null>(instanceId, SETTING_SETUP_ERROR);
    if (refused) return { active: false, message: '', errorMessage: refused.message };
    const [task] = await tasks.list({ instanceId, type: PREPARE_DASHBOARD_TASK, page: 1, perPage: 1 });
    if (!task) {
      const ready = readyDashboard(await settings.get<DashboardSetup>(instanceId, SETTING_DASHBOARD));
      return { active: false, message: ready ? `Dashboard domain ${ready.domain} is set up` : '', errorMessage: null };
    }
    const active = task.state === 'pending' || task.state === 'active';
    return { active, message: task.message, errorMessage: task.state === 'error' ? (task.error?.message ?? 'Setup failed') : null };
  }

  /**
   * The task: each step converges, so a run cut short runs again from the start. The dashboard is `ready` (and
   * `adminFqdn` shows) only once every step has passed.
   */
  async run(instanceId: string, domainName: string, ctx: Pick<TaskContext, 'progress' | 'log'>): Promise<{ adminFqdn: string }> {
    const { settings } = this.deps;
    const setup = await settings.get<DashboardSetup>(instanceId, SETTING_DASHBOARD);
    if (!setup || setup.domain !== domainName) throw new Error(`The dashboard domain is no longer ${domainName}: run setup again`);
    const fqdn = dashboardFqdn(setup.domain);

    ctx.progress(10, `Checking the domain ${setup.domain}`);
    if (!(await this.deps.domains.internal(instanceId, setup.domain))) throw new Error(`The domain ${setup.domain} was removed: run setup again`);

    await this.refreshSite(instanceId, setup.domain, ctx);

    await settings.set(instanceId, SETTING_DASHBOARD, { ...setup, ready: true });
    ctx.progress(100, `Dashboard ready at https://${fqdn}`);
    return { adminFqdn: fqdn };
  }

  /** After a change of the dashboard's domain (domain sync): the same DNS and proxy steps, when set up. */
  async refresh(instanceId: string, domainName: string, ctx: Pick<TaskContext, 'progress' | 'log'>, change: DomainChange): Promise<boolean> {
    const ready = readyDashboard(await this.deps.settings.get<DashboardSetup>(instanceId, SETTING_DASHBOARD));
    if (ready?.domain !== domainName) return false;
    await this.refreshSite(instanceId, domainName, ctx, change);
    return true;
  }

  private async refreshSite(instanceId: string, domain: string, ctx: Pick<TaskContext, 'progress' | 'log'>, change: DomainChange = { dns: true, proxy: true }) {
    const fqdn = dashboardFqdn(domain);
    if (change.dns) {
      ctx.progress(30, `Setting the DNS record of ${fqdn}`);
      await this.deps.dns.syncOwned(instanceId, dashboardOwner(instanceId), [{ domain, fqdn }]);
    }
    if (!change.proxy) return;
    ctx.progress(60, `Getting a certificate for ${fqdn} and configuring the reverse proxy`);
    const published = await this.deps.publisher.publishDashboard({ instanceId, domain, fqdn }, (line) => ctx.log(line));
    if (!published) ctx.log(`no reverse proxy is configured (BERTH_NGINX_CONF unset): ${fqdn} is not published, the dashboard is reached on Berth's own port`);
  }

  /** Adds the domain, or changes it when the tenant already has it: both check the provider's settings live. */
  private async saveDomain(actor: Actor, dns: SetupInput['dnsConfig']): Promise<DomainView> {
    const input = { domain: dns.domain, zoneName: dns.zoneName, provider: dns.provider, config: dns.config, tlsConfig: dns.tlsConfig };
    const name = String(dns.domain ?? '').trim().toLowerCase().replace(/\.$/, '');
    const existing = name ? await this.deps.domains.internal(actor.instanceId, name) : undefined;
    return existing ? this.deps.domains.update(actor, name, input) : this.deps.domains.add(actor, input);
  }
}

function checkSysinfo(sysinfo: { provider: string; ip?: string; ifname?: string }) {
  if (sysinfo.provider === 'fixed' && !(sysinfo.ip && isIP(sysinfo.ip) === 4)) {
    throw validationError('sysinfoConfig.ip must be an IPv4 address for the fixed provider', { field: 'sysinfoConfig.ip' });
  }
  if (sysinfo.provider === 'network-interface' && !(sysinfo.ifname && interfaceIpv4(sysinfo.ifname))) {
    throw validationError(`sysinfoConfig.ifname must name a network interface of this machine with an IPv4 address, got "${sysinfo.ifname ?? ''}"`, {
      field: 'sysinfoConfig.ifname',
    });
  }
  return sysinfo;
}
