import { CloudronService } from '../../services/cloudron/cloudron-service';
import { PREPARE_DASHBOARD_TASK_TYPE } from '../../services/cloudron/cloudron-tasks';
import { DashboardSetupService } from '../../services/cloudron/dashboard-setup';
import { RestoreService } from '../../services/cloudron/restore-service';
import { DomainSync } from '../../services/domains/domain-sync';
import { InvitationService } from '../../services/users/invitation-service';
import { domainTaskHandlers } from '../../workers/domain-tasks';
import { version } from '../version';
import type { BackupStorage } from './backups';
import type { Core } from './core';
import type { Domains } from './domains';
import type { Identity } from './identity';
import type { WorkerParts } from './module';
import type { Proxy } from './proxy';
import type { Tasks } from './tasks';

export type Cloudron = ReturnType<typeof composeCloudron>;

/**
 * The box as a whole: first-run setup of the dashboard domain, activation and status, restore before activation, and
 * invitations (whose links point at the dashboard). `syncDomain` (domains.ts) is run here too: it republishes the dashboard.
 */
export function composeCloudron(
  { config, store, clock }: Core,
  { tokens, throttle, eventlog, mailer }: Identity,
  { types, tasks }: Tasks,
  { domains, appDns }: Domains,
  { publisher }: Proxy,
  { targets, limits }: BackupStorage,
) {
  types.add(PREPARE_DASHBOARD_TASK_TYPE);
  const setup = new DashboardSetupService({
    settings: store.settings, taskRepo: store.tasks, domains, dns: appDns, publisher, eventlog, clock, tasks,
  });
  const restore = new RestoreService({ settings: store.settings, instances: store.instances, taskRepo: store.tasks, tasks, targets, eventlog, limits });
  const cloudron = new CloudronService({
    settings: store.settings, users: store.users, transactor: store, tokens, throttle, eventlog, clock, version, setup,
    restoreStatus: (instanceId) => restore.status(instanceId),
  });
  const invitations = new InvitationService({
    users: store.users,
    userTokens: store.userTokens,
    transactor: store,
    tokens,
    mailer,
    eventlog,
    throttle,
    clock,
    // The tenant's dashboard: its set-up domain, else the domain the admin API gave it, else BERTH_PUBLIC_URL.
    dashboardUrl: async (instanceId) => {
      const { adminFqdn } = await cloudron.config(instanceId);
      const domain = adminFqdn || (await store.instances.get(instanceId))?.domain;
      return domain ? `https://${domain}` : config.publicUrl;
    },
  });
  const workers: WorkerParts = {
    handlers: domainTaskHandlers({
      dashboard: setup,
      sync: new DomainSync({ domains: store.domains, apps: store.apps, dns: appDns, publisher, dashboard: setup }),
    }),
  };
  return { setup, restore, cloudron, invitations, workers };
}
