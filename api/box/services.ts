import type { CloudronService } from '../../services/cloudron/cloudron-service';
import type { InstanceService } from '../../services/instances/instance-service';
import type { TokenService } from '../../services/tokens/token-service';
import type { ProfileService } from '../../services/users/profile-service';
import type { TaskService } from '../../services/tasks/task-service';
import type { Call } from '../openapi/surface';
import type { Principal } from '../../services/auth/principal';
import { unauthorized } from '../../services/core/errors';

/** The services the box API's handlers call. */
export interface BoxServices {
  instances: InstanceService;
  cloudron: CloudronService;
  profile: ProfileService;
  tokens: TokenService;
  tasks: TaskService;
}

/** The caller of an authenticated operation (the surface has already checked the token). */
export function principalOf(call: Call): Principal {
  if (!call.principal) throw unauthorized();
  return call.principal;
}

export const ok = (body: unknown) => ({ status: 200, body });
export const noContent = () => ({ status: 204 });
