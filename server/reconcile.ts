import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../services/core/config';
import { ConfigError } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { composeBerth } from './compose';
import type { ReconcileReport } from '../services/apps/app-reconciler';

/**
 * `berth reconcile [--remove-orphans]`: compares the Docker engine with the database once and prints what it
 * found. Installed apps missing their container get a recreate task (a running `berth serve` or `berth worker`
 * runs it); containers with Berth's labels and no app are listed, and removed with --remove-orphans.
 */
export async function reconcileOnce(config: Config, options: { removeOrphans: boolean }): Promise<ReconcileReport> {
  const redisUrl = config.redisUrl ?? embeddedRedis(config.dataDir);
  const berth = await composeBerth(config, { redisUrl, logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel) });
  try {
    return await berth.reconciler.reconcile(options);
  } finally {
    await berth.close();
  }
}

/** The report for people, one line per finding. */
export function describeReport(report: ReconcileReport, removeOrphans: boolean): string[] {
  const lines = report.recreated.map((r) => `recreating app ${r.appId} (task ${r.taskId})`);
  for (const o of report.orphans) {
    const state = report.removed.includes(o.id) ? 'removed' : 'orphan';
    lines.push(`${state}: container ${o.name} (${o.id.slice(0, 12)}, ${o.status}) labelled for app ${o.appId || '?'} of tenant ${o.instanceId || '?'}`);
  }
  if (!lines.length) lines.push('the Docker engine and the database agree');
  else if (report.orphans.length && !removeOrphans) lines.push('run with --remove-orphans to remove the orphans');
  return lines;
}

/** The socket of the private Redis a running `berth serve` started (REDIS_URL unset). */
function embeddedRedis(dataDir: string): string {
  const socket = path.join(dataDir, 'redis', 'redis.sock');
  if (!fs.existsSync(socket)) throw new ConfigError('set REDIS_URL, or run this next to a running berth serve (its private Redis is not running)');
  return `unix://${socket}`;
}
