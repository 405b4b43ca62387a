import type { AppLifecycle } from '../services/apps/app-lifecycle';
import type { BackupDrill } from '../services/backups/backup-drill';
import type { BackupRetention } from '../services/backups/backup-retention';
import type { BoxBackups } from '../services/backups/box-backup';
import type { BoxRestore } from '../services/backups/box-restore';
import type { CertificateRenewal } from '../services/certificates/certificate-renewal';
import type { DashboardSetupService } from '../services/cloudron/dashboard-setup';
import type { DomainSync } from '../services/domains/domain-sync';
import type { TaskCatalogue } from '../services/tasks/task-catalogue';
import { bindHandlers, type TaskHandlers } from '../services/tasks/task-handler';
import type { TenantDeletion } from '../services/tenants/tenant-deletion';
import type { TenantExporter } from '../services/tenants/tenant-export';
import { appTaskHandler } from './app-task';
import { backupTaskHandlers } from './backup-tasks';
import { certificateTaskHandlers } from './certificate-tasks';
import { domainTaskHandlers } from './domain-tasks';
import { tenantTaskHandlers } from './tenant-tasks';
import { crashingAt, testTaskHandlers } from './test-handlers';

export interface HandlerDeps {
  testTasks: boolean;
  /** Test builds only (with testTasks): the step at which this process kills itself. */
  crashAt?: string;
  concurrency?: Record<string, number>;
  apps: AppLifecycle;
  tenants: { deletion: TenantDeletion; exporter: TenantExporter };
  backups: { box: BoxBackups; retention: BackupRetention; drill: BackupDrill; restore: BoxRestore };
  renewal: CertificateRenewal;
  domains: { dashboard: DashboardSetupService; sync: DomainSync };
}

/**
 * Every run function, matched to the catalogue's types. Start-up fails when a type has no handler or a handler
 * has no type. Only processes that run workers build this; the task service needs the catalogue alone.
 */
export function buildTaskHandlers(catalogue: TaskCatalogue, deps: HandlerDeps): TaskHandlers {
  const plain = [
    appTaskHandler(deps.apps),
    ...tenantTaskHandlers(deps.tenants),
    ...backupTaskHandlers(deps.backups),
    ...certificateTaskHandlers(deps.renewal),
    ...domainTaskHandlers(deps.domains),
    ...(deps.testTasks ? testTaskHandlers() : []),
  ];
  const { crashAt } = deps;
  const handlers = deps.testTasks && crashAt ? plain.map((handler) => crashingAt(crashAt, handler)) : plain;
  return bindHandlers(catalogue, handlers, deps.concurrency);
}
