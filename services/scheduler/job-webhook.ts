import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { Logger } from '../core/logger';
import type { SchedulerGlobals } from './scheduler-settings';

/** What a tenant's webhook is told about a failed execution. */
export interface FailedExecution {
  instanceId: string;
  job: string;
  executionId: string;
  status: string;
  exitCode: number | null;
  error: string | null;
  at: Date;
}

/** Addresses a webhook may not reach unless the operator allows it: the box itself and its private networks. */
function privateRanges(): BlockList {
  const list = new BlockList();
  for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
    list.addSubnet(net, bits, 'ipv4');
  }
  for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['::ffff:0:0', 96]] as const) list.addSubnet(net, bits, 'ipv6');
  return list;
}

const TIMEOUT_MS = 5000;

/**
 * The tenant's outgoing webhook (`webhookURL` in its scheduler settings): a JSON POST when one of its executions
 * fails, signed with HMAC-SHA256 of the body under `webhookSecret` (`X-Berth-Signature: sha256=<hex>`), as GitHub
 * signs. The address is checked when the connection is made (the lookup itself refuses private ones), so a name
 * that resolves to the box's loopback or a private network is refused even if it resolved elsewhere earlier
 * (DNS rebinding); the operator may allow private targets (BERTH_SCHEDULER_WEBHOOK_ALLOW_PRIVATE=1). Best-effort: a
 * failing receiver is logged, never retried into the scheduler's way.
 */
export class JobWebhook {
  private readonly blocked = privateRanges();

  constructor(private readonly deps: { globals: (instanceId: string) => Promise<SchedulerGlobals>; allowPrivate: boolean; logger: Logger }) {}

  /** Sends the failure; resolves to the receiver's status, or undefined when there is no webhook or it failed. */
  async failed(event: FailedExecution): Promise<number | undefined> {
    const globals = await this.deps.globals(event.instanceId);
    const target = typeof globals.webhookURL === 'string' ? globals.webhookURL : undefined;
    if (!target) return undefined;
    const body = JSON.stringify({
      event: 'job.failed',
      job: event.job,
      executionId: event.executionId,
      status: event.status,
      exitCode: event.exitCode,
      error: event.error,
      timestamp: event.at.toISOString(),
    });
    const secret = typeof globals.webhookSecret === 'string' ? globals.webhookSecret : undefined;
    try {
      return await this.post(new URL(target), body, secret);
    } catch (err) {
      this.deps.logger.warn({ instanceId: event.instanceId, host: new URL(target).host, err: (err as Error).message }, 'scheduler: webhook not delivered');
      return undefined;
    }
  }

  private post(url: URL, body: string, secret: string | undefined): Promise<number> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': 'Berth-Scheduler',
      'X-Berth-Event': 'job.failed',
    };
    if (secret) headers['X-Berth-Signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    // An address in the URL is connected to without a lookup: it is checked here instead.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && this.isPrivate(literal) && !this.deps.allowPrivate) {
      return Promise.reject(new Error(`${literal} is a private address: refused`));
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      // No pooled connection: every delivery connects anew, so every delivery's address goes through the check.
      const request = client.request(url, { method: 'POST', headers, lookup: this.lookup, agent: false, timeout: TIMEOUT_MS }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  /** dns.lookup, refusing private and loopback answers (and literal private addresses) unless allowed. */
  private readonly lookup = (hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.find((a) => this.isPrivate(a.address));
      if (refused && !this.deps.allowPrivate) return callback(new Error(`${hostname} resolves to a private address (${refused.address}): refused`), []);
      const wantsAll = (options as { all?: boolean }).all;
      if (wantsAll) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };

  private isPrivate(address: string): boolean {
    const family = isIP(address);
    return family === 4 ? this.blocked.check(address, 'ipv4') : family === 6 ? this.blocked.check(address, 'ipv6') : true;
  }
}
