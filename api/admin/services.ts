import type { AdminPassphrase } from '../../services/tenants/admin-passphrase';
import type { LoginThrottle } from '../../services/auth/login-throttle';
import type { Contexts } from '../../services/tenants/contexts';
import type { TenantService } from '../../services/tenants/tenant-service';
import type { TenantFsck } from '../../services/tenants/tenant-fsck';
import type { TenantExporter } from '../../services/tenants/tenant-export';
import type { TaskService } from '../../services/tasks/task-service';
import type { StoredInstance } from '../../services/instances/instance-repo';

/** What the admin API's handlers call. */
export interface AdminServices {
  passphrase: AdminPassphrase;
  /** Limits wrong passphrases (its own instance: box API logins do not share its counts). */
  throttle: LoginThrottle;
  tenants: TenantService;
  contexts: Contexts;
  fsck: TenantFsck;
  exporter: TenantExporter;
  tasks: TaskService;
}

/** An instance as a JSON:API resource; secrets never appear (there are none on the row). */
export function instanceResource(instance: StoredInstance) {
  return {
    type: 'instances',
    id: instance.id,
    attributes: {
      domain: instance.domain,
      locale: instance.locale,
      email: instance.email,
      context: instance.context,
      quotas: instance.quotas,
      blocked: instance.blocked,
      blocking_reason: instance.blockingReason,
      deleting: instance.deleting,
      is_default: instance.isDefault,
      created_at: instance.createdAt,
      updated_at: instance.updatedAt,
    },
    links: { self: `/instances/${instance.domain ?? instance.id}` },
  };
}

export const jsonApi = (status: number, body: unknown) => ({ status, body, headers: { 'Content-Type': 'application/vnd.api+json' } });
