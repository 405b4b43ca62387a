import type { AppLifecycle } from '../services/apps/app-lifecycle';
import { TaskRegistry } from '../services/tasks/task-registry';
import { TASK_TYPES } from '../services/tasks/task-types';
import { appTaskDefinition } from './app-task';
import { tenantTaskDefinitions } from './tenant-tasks';
import type { TenantDeletion } from '../services/tenants/tenant-deletion';
import type { TenantExporter } from '../services/tenants/tenant-export';
import { crashingAt, testTaskDefinitions } from './test-handlers';
import { backupTaskDefinitions } from './backup-tasks';
import { certificateTaskDefinitions } from './certificate-tasks';
import type { CertificateRenewal } from '../services/certificates/certificate-renewal';
import type { BoxBackups } from '../services/backups/box-backup';
import type { BackupRetention } from '../services/backups/backup-retention';
import type { BackupDrill } from '../services/backups/backup-drill';
import type { BoxRestore } from '../services/backups/box-restore';

export interface HandlerDeps {
  testTasks: boolean;
  /** Test builds only (with testTasks): the step at which this process kills itself. */
  crashAt?: string;
  concurrency?: Record<string, number>;
  apps: AppLifecycle;
  tenants: { deletion: TenantDeletion; exporter: TenantExporter };
  backups: { box: BoxBackups; retention: BackupRetention; drill: BackupDrill; restore: BoxRestore };
  renewal: CertificateRenewal;
}

/**
 * Every task handler, registered in one place. Start-up fails when a type declared in TASK_TYPES has none.
 */
export function buildTaskRegistry(deps: HandlerDeps): TaskRegistry {
  const registry = new TaskRegistry();
  const definitions = [appTaskDefinition(deps.apps), ...tenantTaskDefinitions(deps.tenants), ...backupTaskDefinitions(deps.backups), ...certificateTaskDefinitions(deps.renewal), ...(deps.testTasks ? testTaskDefinitions() : [])];
  for (const plain of definitions) {
    const definition = deps.testTasks && deps.crashAt ? crashingAt(deps.crashAt, plain) : plain;
    registry.register({ ...definition, concurrency: deps.concurrency?.[definition.type] ?? definition.concurrency });
  }
  registry.assertCovers(TASK_TYPES);
  return registry;
}
