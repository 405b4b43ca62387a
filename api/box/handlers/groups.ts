import type { BoxHandlers } from '../handler-types';
import { actorOf, type BoxServices, noContent, ok, principalOf } from '../services';

const renderGroup = (g: { id: string; name: string; userIds?: string[] }) =>
  g.userIds ? { id: g.id, name: g.name, userIds: g.userIds } : { id: g.id, name: g.name };

export function groupHandlers(s: BoxServices) {
  return {
    listGroups: async (call) => ok({ groups: (await s.groups.list(principalOf(call).instanceId)).map(renderGroup) }),
    addGroup: async (call) => ({ status: 201, body: renderGroup(await s.groups.create(actorOf(call), call.body.name)) }),
    getGroup: async (call) => ok(renderGroup(await s.groups.get(principalOf(call).instanceId, call.params.groupId))),
    renameGroup: async (call) => {
      await s.groups.rename(actorOf(call), call.params.groupId, call.body.name);
      return ok(renderGroup(await s.groups.get(principalOf(call).instanceId, call.params.groupId)));
    },
    removeGroup: async (call) => {
      await s.groups.remove(actorOf(call), call.params.groupId);
      return noContent();
    },
    setGroupMembers: async (call) => {
      await s.groups.setMembers(actorOf(call), call.params.groupId, call.body.userIds);
      return ok(renderGroup(await s.groups.get(principalOf(call).instanceId, call.params.groupId)));
    },
  } satisfies Partial<BoxHandlers>;
}
