import type { Db } from '../db/database';
import { boolean, mapTable, text, textOrNull } from '../db/columns';
import type { Role } from '../auth/roles';

export interface User {
  id: string;
  instanceId: string;
  username: string | null;
  email: string;
  fallbackEmail: string;
  displayName: string;
  role: Role;
  active: boolean;
  passwordHash: string | null;
  createdAt: string;
  updatedAt: string;
}

export type UserPatch = Partial<Pick<User, 'username' | 'email' | 'fallbackEmail' | 'displayName' | 'role' | 'active' | 'passwordHash'>> & {
  updatedAt: string;
};

export interface UserRepo {
  get(instanceId: string, id: string): Promise<User | undefined>;
  /** Finds by username, or by email when the login contains `@`. */
  findByLogin(instanceId: string, login: string): Promise<User | undefined>;
  insert(user: User): Promise<void>;
  update(instanceId: string, id: string, patch: UserPatch): Promise<void>;
  delete(instanceId: string, id: string): Promise<boolean>;
  /** A page of users ordered by username (then id), optionally matching `search` in username, email or name. */
  list(query: { instanceId: string; search?: string; page: number; perPage: number }): Promise<User[]>;
  countActiveOwners(instanceId: string): Promise<number>;
  /** The email addresses of the tenant's active owners and admins: who notifications are mailed to. */
  activeAdminEmails(instanceId: string): Promise<string[]>;
  /** Which of these ids are users of the instance. */
  existing(instanceId: string, ids: string[]): Promise<string[]>;
}

const users = mapTable<User>('users', {
  id: text(),
  instanceId: text(),
  username: textOrNull(),
  email: text(),
  fallbackEmail: text(),
  displayName: text(),
  role: text(),
  active: boolean(),
  passwordHash: textOrNull(),
  createdAt: text(),
  updatedAt: text(),
});

export class KnexUserRepo implements UserRepo {
  constructor(private readonly db: Db) {}

  async get(instanceId: string, id: string) {
    const row = await this.db('users').where({ instance_id: instanceId, id }).first();
    return row ? users.fromRow(row) : undefined;
  }

  async findByLogin(instanceId: string, login: string) {
    const column = login.includes('@') ? 'email' : 'username';
    const row = await this.db('users').where({ instance_id: instanceId, [column]: login }).first();
    return row ? users.fromRow(row) : undefined;
  }

  async insert(user: User) {
    await this.db('users').insert(users.toRow(user));
  }

  async update(instanceId: string, id: string, patch: UserPatch) {
    await this.db('users').where({ instance_id: instanceId, id }).update(users.toRow(patch));
  }

  async delete(instanceId: string, id: string) {
    return (await this.db('users').where({ instance_id: instanceId, id }).delete()) > 0;
  }

  async list({ instanceId, search, page, perPage }: { instanceId: string; search?: string; page: number; perPage: number }) {
    const query = this.db('users').where({ instance_id: instanceId });
    if (search) {
      const like = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere((q) =>
        q
          .whereRaw("username like ? escape '\\'", [like])
          .orWhereRaw("email like ? escape '\\'", [like])
          .orWhereRaw("lower(display_name) like ? escape '\\'", [like]),
      );
    }
    const rows = await query.orderBy('username').orderBy('id').limit(perPage).offset((page - 1) * perPage);
    return rows.map(users.fromRow);
  }

  async countActiveOwners(instanceId: string) {
    const [row] = await this.db('users').where({ instance_id: instanceId, role: 'owner', active: true }).count({ n: '*' });
    return Number(row.n);
  }

  async activeAdminEmails(instanceId: string) {
    const rows = await this.db('users').where({ instance_id: instanceId, active: true }).whereIn('role', ['owner', 'admin']).whereNotNull('email').orderBy('email').select('email');
    return rows.map((r: { email: string }) => r.email);
  }

  async existing(instanceId: string, ids: string[]) {
    if (!ids.length) return [];
    const rows = await this.db('users').where({ instance_id: instanceId }).whereIn('id', ids).select('id');
    return rows.map((r: { id: string }) => r.id);
  }
}
