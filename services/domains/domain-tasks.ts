import { defineTaskType } from '../tasks/task-type';

export const SYNC_DOMAIN_TASK = 'syncDomain';

/** What a domain change touches: its DNS records, its proxy sites (and certificates), or both. */
export interface SyncDomainArgs {
  instanceId: string;
  domain: string;
  dns: boolean;
  proxy: boolean;
}

/** `syncDomain`, after a domain change: changes of one domain queue behind each other. It converges: idempotent. */
export const SYNC_DOMAIN_TASK_TYPE = defineTaskType<SyncDomainArgs>({
  name: SYNC_DOMAIN_TASK,
  args: {
    type: 'object',
    properties: { instanceId: { type: 'string' }, domain: { type: 'string' }, dns: { type: 'boolean' }, proxy: { type: 'boolean' } },
    required: ['instanceId', 'domain', 'dns', 'proxy'],
  },
  timeoutMs: 60 * 60_000,
  concurrency: 2,
  idempotent: true,
  onConflict: 'queue',
});

export const domainObjectKey = (instanceId: string, domain: string) => `domain:${instanceId}:${domain}`;
