import type { Db } from '../db/database';
import { mapTable, text } from '../db/columns';

export interface Group {
  id: string;
  instanceId: string;
  name: string;
  createdAt: string;
}

export interface GroupRepo {
  list(instanceId: string): Promise<Group[]>;
  get(instanceId: string, id: string): Promise<Group | undefined>;
  insert(group: Group): Promise<void>;
  rename(instanceId: string, id: string, name: string): Promise<void>;
  delete(instanceId: string, id: string): Promise<boolean>;
  /** Member user ids per group id. */
  members(groupIds: string[]): Promise<Map<string, string[]>>;
  /** Group ids per user id. */
  groupsOf(userIds: string[]): Promise<Map<string, string[]>>;
  setMembers(groupId: string, userIds: string[]): Promise<void>;
  setGroupsOf(userId: string, groupIds: string[]): Promise<void>;
  /** Which of these ids are groups of the instance. */
  existing(instanceId: string, ids: string[]): Promise<string[]>;
}

const groups = mapTable<Group>('groups', { id: text(), instanceId: text(), name: text(), createdAt: text() });

function collect(rows: Array<{ key: string; value: string }>, keys: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(row.key)?.push(row.value);
  return map;
}

export class KnexGroupRepo implements GroupRepo {
  constructor(private readonly db: Db) {}

  async list(instanceId: string) {
    return (await this.db('groups').where({ instance_id: instanceId }).orderBy('name')).map(groups.fromRow);
  }

  async get(instanceId: string, id: string) {
    const row = await this.db('groups').where({ instance_id: instanceId, id }).first();
    return row ? groups.fromRow(row) : undefined;
  }

  async insert(group: Group) {
    await this.db('groups').insert(groups.toRow(group));
  }

  async rename(instanceId: string, id: string, name: string) {
    await this.db('groups').where({ instance_id: instanceId, id }).update({ name });
  }

  async delete(instanceId: string, id: string) {
    return (await this.db('groups').where({ instance_id: instanceId, id }).delete()) > 0;
  }

  async members(groupIds: string[]) {
    if (!groupIds.length) return new Map();
    const rows = await this.db('group_members').whereIn('group_id', groupIds).orderBy('user_id').select('group_id as key', 'user_id as value');
    return collect(rows, groupIds);
  }

  async groupsOf(userIds: string[]) {
    if (!userIds.length) return new Map();
    const rows = await this.db('group_members').whereIn('user_id', userIds).orderBy('group_id').select('user_id as key', 'group_id as value');
    return collect(rows, userIds);
  }

  async setMembers(groupId: string, userIds: string[]) {
    await this.db('group_members').where({ group_id: groupId }).delete();
    if (userIds.length) await this.db('group_members').insert(userIds.map((user_id) => ({ group_id: groupId, user_id })));
  }

  async setGroupsOf(userId: string, groupIds: string[]) {
    await this.db('group_members').where({ user_id: userId }).delete();
    if (groupIds.length) await this.db('group_members').insert(groupIds.map((group_id) => ({ group_id, user_id: userId })));
  }

  async existing(instanceId: string, ids: string[]) {
    if (!ids.length) return [];
    const rows = await this.db('groups').where({ instance_id: instanceId }).whereIn('id', ids).select('id');
    return rows.map((r: { id: string }) => r.id);
  }
}
