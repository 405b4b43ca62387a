import type { CloudronService } from '../../services/cloudron/cloudron-service';
import type { RestoreService } from '../../services/cloudron/restore-service';
import type { DashboardSetupService } from '../../services/cloudron/dashboard-setup';
import type { InstanceService } from '../../services/instances/instance-service';
import type { TokenService } from '../../services/tokens/token-service';
import type { ProfileService } from '../../services/users/profile-service';
import type { TaskService } from '../../services/tasks/task-service';
import type { UserService } from '../../services/users/user-service';
import type { InvitationService } from '../../services/users/invitation-service';
import type { SettingsService } from '../../services/settings/settings-service';
import type { GroupService } from '../../services/groups/group-service';
import type { Actor, EventlogService } from '../../services/eventlog/eventlog-service';
import type { Call } from '../openapi/surface';
import type { AppService } from '../../services/apps/app-service';
import type { CatalogueService } from '../../services/apps/catalogue';
import type { Principal } from '../../services/auth/principal';
import type { DomainService } from '../../services/domains/domain-service';
import type { BackupService } from '../../services/backups/backup-service';
import type { NotificationService } from '../../services/notifications/notification-service';
import { unauthorized } from '../../services/core/errors';

/** The services the box API's handlers call. */
export interface BoxServices {
  instances: InstanceService;
  cloudron: CloudronService;
  restore: RestoreService;
  setup: DashboardSetupService;
  profile: ProfileService;
  tokens: TokenService;
  tasks: TaskService;
  users: UserService;
  invitations: InvitationService;
  groups: GroupService;
  eventlog: EventlogService;
  settings: SettingsService;
  apps: AppService;
  catalogue: CatalogueService;
  domains: DomainService;
  backups: BackupService;
  notifications: NotificationService;
}

/** The caller of an authenticated operation (the surface has already checked the token). */
export function principalOf(call: Pick<Call, 'principal'>): Principal {
  if (!call.principal) throw unauthorized();
  return call.principal;
}

/** Who makes an authenticated call, for the audit log. */
export function actorOf(call: Pick<Call, 'principal' | 'ip'>): Actor {
  const principal = principalOf(call);
  return { instanceId: principal.instanceId, userId: principal.userId, tokenId: principal.tokenId, ip: call.ip || null };
}

/** The tenant of a public call (no token): chosen by the Host header. */
export async function tenantOf(s: BoxServices, call: Pick<Call, 'req'>) {
  const instance = await s.instances.resolveByHost(call.req.headers.host);
  await s.instances.assertOpen(instance.id);
  return instance;
}

export const ok = (body: unknown) => ({ status: 200, body });
export const noContent = () => ({ status: 204 });
