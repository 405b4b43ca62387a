import type { Db } from '../db/database';
import { mapTable, text } from '../db/columns';

export type CodeKind = 'magic_link' | 'session_code' | 'email_verified_code';

/** One-time codes an operator creates for a tenant, stored as SHA-256 hashes with an expiry. */
export interface Code {
  codeHash: string;
  instanceId: string;
  kind: CodeKind;
  expiresAt: string;
  createdAt: string;
}

export interface CodeRepo {
  insert(code: Code): Promise<void>;
  /** Deletes the code and says whether it existed unexpired: a code works once. */
  consume(instanceId: string, kind: CodeKind, codeHash: string, now: string): Promise<boolean>;
}

const codes = mapTable<Code>('instance_codes', { codeHash: text(), instanceId: text(), kind: text(), expiresAt: text(), createdAt: text() });

export class KnexCodeRepo implements CodeRepo {
  constructor(private readonly db: Db) {}

  async insert(code: Code) {
    await this.db('instance_codes').insert(codes.toRow(code));
  }

  async consume(instanceId: string, kind: CodeKind, codeHash: string, now: string) {
    // One DELETE decides: two checks of one code cannot both succeed.
    const deleted = await this.db('instance_codes').where({ instance_id: instanceId, kind, code_hash: codeHash }).andWhere('expires_at', '>', now).delete();
    return deleted > 0;
  }
}
