import type { Db } from '../db/database';

export type CodeKind = 'magic_link' | 'session_code' | 'email_verified_code';

/** One-time codes an operator creates for a tenant, stored as SHA-256 hashes with an expiry. */
export interface CodeRepo {
  insert(row: { codeHash: string; instanceId: string; kind: CodeKind; expiresAt: string; createdAt: string }): Promise<void>;
  /** Deletes the code and says whether it existed unexpired: a code works once. */
  consume(instanceId: string, kind: CodeKind, codeHash: string, now: string): Promise<boolean>;
}

export class KnexCodeRepo implements CodeRepo {
  constructor(private readonly db: Db) {}

  async insert(row: { codeHash: string; instanceId: string; kind: CodeKind; expiresAt: string; createdAt: string }) {
    await this.db('instance_codes').insert({
      code_hash: row.codeHash, instance_id: row.instanceId, kind: row.kind, expires_at: row.expiresAt, created_at: row.createdAt,
    });
  }

  async consume(instanceId: string, kind: CodeKind, codeHash: string, now: string) {
    // One DELETE decides: two checks of one code cannot both succeed.
    const deleted = await this.db('instance_codes').where({ instance_id: instanceId, kind, code_hash: codeHash }).andWhere('expires_at', '>', now).delete();
    return deleted > 0;
  }
}
