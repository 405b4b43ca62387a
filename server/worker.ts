import type { Config } from '../services/core/config';
import { ConfigError } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { composeBerth } from './compose';

/**
 * `berth worker`: task workers only, no HTTP. Scale out by starting more of them, on this machine or others,
 * against the same DATABASE_URL and REDIS_URL as `berth serve`. SIGTERM drains: no new tasks are taken and
 * running ones get BERTH_SHUTDOWN_GRACE_SECS to finish before they are handed back.
 */
export async function work(config: Config): Promise<void> {
  if (!config.redisUrl) {
    throw new ConfigError('berth worker needs REDIS_URL: the Redis that berth serve uses (a private one cannot be shared)');
  }
  const logger = createLogger(config.logLevel);
  const berth = await composeBerth(config, { redisUrl: config.redisUrl, logger, workers: true });
  logger.info({ workerId: berth.runner?.workerId }, 'berth worker is running');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'draining');
    try {
      await berth.close();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
