import type { Db } from '../services/db/database';
import { KnexInstanceRepo, type InstanceRepo } from '../services/instances/instance-repo';
import { KnexSettingsRepo, type SettingsRepo } from '../services/settings/settings-repo';
import { KnexTokenRepo, type TokenRepo } from '../services/tokens/token-repo';
import { KnexUserRepo, type UserRepo } from '../services/users/user-repo';
import { KnexTaskRepo, type TaskRepo } from '../services/tasks/task-repo';
import { KnexGroupRepo, type GroupRepo } from '../services/groups/group-repo';
import { KnexEventlogRepo, type EventlogRepo } from '../services/eventlog/eventlog-repo';
import { KnexUserTokenRepo, type UserTokenRepo } from '../services/users/user-token-repo';
import { KnexAppRepo, type AppRepo } from '../services/apps/app-repo';
import { KnexCatalogueRepo, type CatalogueRepo } from '../services/apps/catalogue-repo';
import { KnexCodeRepo, type CodeRepo } from '../services/tenants/code-repo';
import { KnexExportRepo, type ExportRepo } from '../services/tenants/export-repo';
import { KnexDomainRepo, type DomainRepo } from '../services/domains/domain-repo';
import { KnexDnsRecordRepo, type DnsRecordRepo } from '../services/domains/dns-record-repo';
import { KnexCertificateRepo, type CertificateRepo } from '../services/certificates/certificate-repo';
import { KnexBackupRepo, type BackupRepo } from '../services/backups/backup-repo';
import { KnexTenantDumpRepo, type TenantDumpRepo } from '../services/backups/tenant-dump-repo';
import { KnexNotificationRepo, type NotificationRepo } from '../services/notifications/notification-repo';
import { KnexJobRepo, type JobRepo } from '../services/scheduler/job-repo';
import { KnexExecutionRepo, type ExecutionRepo } from '../services/scheduler/execution-repo';

/** Every repository, bound to one connection or one transaction. */
export interface Repositories {
  instances: InstanceRepo;
  settings: SettingsRepo;
  users: UserRepo;
  tokens: TokenRepo;
  tasks: TaskRepo;
  groups: GroupRepo;
  eventlog: EventlogRepo;
  userTokens: UserTokenRepo;
  apps: AppRepo;
  catalogue: CatalogueRepo;
  codes: CodeRepo;
  exports: ExportRepo;
  domains: DomainRepo;
  dnsRecords: DnsRecordRepo;
  certificates: CertificateRepo;
  backups: BackupRepo;
  tenantDump: TenantDumpRepo;
  notifications: NotificationRepo;
  jobs: JobRepo;
  executions: ExecutionRepo;
}

/** The repositories plus a way to run several writes atomically. */
export interface Store extends Repositories {
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /** A cheap round trip, for readiness. */
  ping(): Promise<void>;
}

function repositories(db: Db): Repositories {
  return {
    instances: new KnexInstanceRepo(db),
    settings: new KnexSettingsRepo(db),
    users: new KnexUserRepo(db),
    tokens: new KnexTokenRepo(db),
    tasks: new KnexTaskRepo(db),
    groups: new KnexGroupRepo(db),
    eventlog: new KnexEventlogRepo(db),
    userTokens: new KnexUserTokenRepo(db),
    apps: new KnexAppRepo(db),
    catalogue: new KnexCatalogueRepo(db),
    codes: new KnexCodeRepo(db),
    exports: new KnexExportRepo(db),
    domains: new KnexDomainRepo(db),
    dnsRecords: new KnexDnsRecordRepo(db),
    certificates: new KnexCertificateRepo(db),
    backups: new KnexBackupRepo(db),
    tenantDump: new KnexTenantDumpRepo(db),
    notifications: new KnexNotificationRepo(db),
    jobs: new KnexJobRepo(db),
    executions: new KnexExecutionRepo(db),
  };
}

export function createStore(db: Db): Store {
  return {
    ...repositories(db),
    transaction: (work) => db.transaction((trx) => work(repositories(trx))),
    ping: async () => {
      await db.raw('select 1');
    },
  };
}
