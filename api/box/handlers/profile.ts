import type { User } from '../../../services/users/user-repo';
import type { BoxHandlers } from '../handler-types';
import { actorOf, type BoxServices, noContent, ok, principalOf } from '../services';

/** The Profile JSON: never the password hash. */
export function renderProfile(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    fallbackEmail: user.fallbackEmail,
    displayName: user.displayName,
    role: user.role,
    active: user.active,
    twoFactorAuthenticationEnabled: false,
    source: '',
  };
}

export function profileHandlers(s: BoxServices) {
  return {
    getProfile: async (call) => ok(renderProfile(await s.profile.get(principalOf(call)))),
    updateProfile: async (call) => ok(renderProfile(await s.profile.update(principalOf(call), actorOf(call), call.body))),
    changeProfilePassword: async (call) => {
      await s.profile.changePassword(principalOf(call), actorOf(call), call.body.password, call.body.newPassword);
      return noContent();
    },
  } satisfies Partial<BoxHandlers>;
}
