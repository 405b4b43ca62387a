import type { Clock } from '../core/clock';
import { newId } from '../core/clock';
import { conflict, notFound, validationError } from '../core/errors';
import { isUniqueViolation } from '../db/database';
import type { Transactor } from '../db/transactor';
import type { UserRepo } from '../users/user-repo';
import type { Actor, EventlogService } from '../eventlog/eventlog-service';
import type { Group, GroupRepo } from './group-repo';

export interface GroupWithMembers extends Group {
  userIds: string[];
}

/** Group names: 1–64 characters of letters, digits, space, `.`, `_` and `-`, starting with a letter or digit. */
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;

function checkName(raw: string): string {
  const name = raw.trim();
  if (!NAME.test(name)) {
    throw validationError('name must be 1 to 64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit', { field: 'name' });
  }
  return name;
}

export class GroupService {
  constructor(
    private readonly deps: { groups: GroupRepo; users: UserRepo; transactor: Transactor<{ groups: GroupRepo }>; eventlog: EventlogService; clock: Clock },
  ) {}

  async list(instanceId: string): Promise<GroupWithMembers[]> {
    const groups = await this.deps.groups.list(instanceId);
    const members = await this.deps.groups.members(groups.map((g) => g.id));
    return groups.map((g) => ({ ...g, userIds: members.get(g.id) ?? [] }));
  }

  async get(instanceId: string, id: string): Promise<GroupWithMembers> {
    const group = await this.find(instanceId, id);
    const members = await this.deps.groups.members([id]);
    return { ...group, userIds: members.get(id) ?? [] };
  }

  async create(actor: Actor, name: string): Promise<Group> {
    const group: Group = { id: newId('gid'), instanceId: actor.instanceId, name: checkName(name), createdAt: this.deps.clock().toISOString() };
    await this.uniquely(() => this.deps.groups.insert(group));
    await this.deps.eventlog.record(actor, 'group.add', group.id, { name: group.name });
    return group;
  }

  async rename(actor: Actor, id: string, name: string): Promise<void> {
    const group = await this.find(actor.instanceId, id);
    const next = checkName(name);
    await this.uniquely(() => this.deps.groups.rename(actor.instanceId, id, next));
    await this.deps.eventlog.record(actor, 'group.update', id, { changes: { name: { before: group.name, after: next } } });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const group = await this.find(actor.instanceId, id);
    await this.deps.groups.delete(actor.instanceId, id);
    await this.deps.eventlog.record(actor, 'group.remove', id, { name: group.name });
  }

  /** Members must be users of the same tenant. */
  async setMembers(actor: Actor, id: string, userIds: string[]): Promise<void> {
    await this.find(actor.instanceId, id);
    const wanted = [...new Set(userIds)];
    const found = await this.deps.users.existing(actor.instanceId, wanted);
    const unknown = wanted.filter((u) => !found.includes(u));
    if (unknown.length) throw validationError(`userIds: no such user ${unknown.join(', ')}`, { field: 'userIds' });
    const before = (await this.deps.groups.members([id])).get(id) ?? [];
    await this.deps.transactor.transaction((repos) => repos.groups.setMembers(id, wanted));
    await this.deps.eventlog.record(actor, 'group.members', id, { changes: { userIds: { before, after: wanted } } });
  }

  private async find(instanceId: string, id: string): Promise<Group> {
    const group = await this.deps.groups.get(instanceId, id);
    if (!group) throw notFound('No such group');
    return group;
  }

  private async uniquely(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('A group with this name exists', { field: 'name' });
      throw err;
    }
  }
}
