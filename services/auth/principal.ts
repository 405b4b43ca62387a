import type { Role } from './roles';

/** Who is making a request: the user behind an access token, within one tenant. */
export interface Principal {
  instanceId: string;
  userId: string;
  role: Role;
  tokenId: string;
  readOnly: boolean;
}
