import { AdminPassphrase } from '../../services/tenants/admin-passphrase';
import { Contexts } from '../../services/tenants/contexts';
import { TenantDeletion } from '../../services/tenants/tenant-deletion';
import { TenantExporter } from '../../services/tenants/tenant-export';
import { TenantFsck } from '../../services/tenants/tenant-fsck';
import { TenantService } from '../../services/tenants/tenant-service';
import { TENANT_TASK_TYPES } from '../../services/tenants/tenant-tasks';
import { tenantTaskHandlers } from '../../workers/tenant-tasks';
import type { Apps } from './apps';
import type { BackupStorage } from './backups';
import type { Cloudron } from './cloudron';
import type { Core } from './core';
import type { Domains } from './domains';
import type { Identity } from './identity';
import type { WorkerParts } from './module';
import type { Platform } from './platform';
import type { Proxy } from './proxy';
import type { Tasks } from './tasks';

export type Tenants = ReturnType<typeof composeTenants>;

/** What the operator's admin API works on: tenants, their deletion and export tasks, fsck, and the admin passphrase. */
export function composeTenants(
  { config, store, clock, logger }: Core,
  { instances, tokens, eventlog }: Identity,
  { types, tasks }: Tasks,
  { runtime, platform }: Platform,
  { appDns }: Domains,
  { publisher }: Proxy,
  { targets }: BackupStorage,
  { reconciler }: Apps,
  { invitations }: Cloudron,
) {
  types.add(...TENANT_TASK_TYPES);
  const deletion = new TenantDeletion({
    instances: store.instances, apps: store.apps, tokens: store.tokens, runtime, platform, publisher, dns: appDns, logger, dataDir: config.dataDir,
    dropCaches: (id) => instances.forget(id), removeBackups: (id) => targets.removeAll(id), tasks,
  });
  const exporter = new TenantExporter({
    exports: store.exports,
    instances: store.instances,
    users: store.users,
    groups: store.groups,
    apps: store.apps,
    settings: store.settings,
    events: store.eventlog,
    runtime,
    dataDir: config.dataDir,
  });
  const contexts = Contexts.fromFile(config.contextsFile);
  const tenants = new TenantService({
    instances: store.instances, users: store.users, apps: store.apps, exports: store.exports, codes: store.codes, tokenRepo: store.tokens, transactor: store,
    tokens, invitations, tasks, eventlog, contexts, clock, sessionCodeLifetimeMs: config.sessionCodeSecs * 1000, changed: (id) => instances.forget(id),
  });
  const workers: WorkerParts = { handlers: tenantTaskHandlers({ deletion, exporter }) };
  return {
    tenants,
    exporter,
    contexts,
    fsck: new TenantFsck({ apps: store.apps, exports: store.exports, runtime, reconciler, dataDir: config.dataDir }),
    passphrase: AdminPassphrase.inDataDir(config.dataDir),
    workers,
  };
}
