import type { UserWithGroups } from '../../../services/users/user-service';
import type { BoxHandlers } from '../handler-types';
import { actorOf, type BoxServices, noContent, ok, principalOf, tenantOf } from '../services';

/** User JSON per seed 001, plus `role`. Never the password hash. */
export function renderUser(user: UserWithGroups) {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    email: user.email,
    fallbackEmail: user.fallbackEmail,
    groupIds: user.groupIds,
    admin: user.role === 'admin' || user.role === 'owner',
    role: user.role,
    active: user.active,
    source: '',
  };
}

export function userHandlers(s: BoxServices) {
  return {
    listUsers: async (call) => {
      const { page = 1, per_page: perPage = 25, search } = call.query;
      const users = await s.users.list(principalOf(call), { page, perPage, search });
      return ok({ users: users.map(renderUser) });
    },
    addUser: async (call) => ({ status: 201, body: renderUser(await s.users.create(principalOf(call), actorOf(call), call.body)) }),
    getUser: async (call) => ok(renderUser(await s.users.get(principalOf(call), call.params.userId))),
    updateUser: async (call) => ok(renderUser(await s.users.update(principalOf(call), actorOf(call), call.params.userId, call.body))),
    removeUser: async (call) => {
      await s.users.remove(principalOf(call), actorOf(call), call.params.userId);
      return noContent();
    },
    setUserPassword: async (call) => {
      await s.users.setPassword(principalOf(call), actorOf(call), call.params.userId, call.body.password);
      return noContent();
    },
    createInvite: async (call) => {
      const invitation = await s.invitations.createInvite(principalOf(call), actorOf(call), call.params.userId);
      return ok({ resetToken: invitation.token, inviteLink: invitation.link });
    },
    sendInvite: async (call) => {
      await s.invitations.sendInvite(principalOf(call), actorOf(call), call.params.userId);
      return ok({});
    },
    setupAccount: async (call) => ok(await s.invitations.acceptInvite(await tenantOf(s, call), call.body, call.ip || null)),
    requestPasswordReset: async (call) => {
      await s.invitations.requestReset(await tenantOf(s, call), call.body.identifier, call.ip);
      return { status: 202, body: {} };
    },
    resetPassword: async (call) => {
      await s.invitations.resetPassword(await tenantOf(s, call), call.body, call.ip || null);
      return noContent();
    },
    setUserGroups: async (call) => {
      await s.users.setGroups(principalOf(call), actorOf(call), call.params.userId, call.body.groupIds);
      return noContent();
    },
  } satisfies Partial<BoxHandlers>;
}
