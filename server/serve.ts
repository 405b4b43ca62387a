import type { Server } from 'node:http';
import type { Config } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { composeBerth } from './compose';
import { startSupervisedRedis, type SupervisedRedis } from './redis-supervisor';

/** `berth serve`: the APIs and the task workers in one process (the embedded default). */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  let supervised: SupervisedRedis | undefined;
  if (!config.redisUrl) supervised = await startSupervisedRedis(config.dataDir, logger);
  const berth = await composeBerth(config, { redisUrl: config.redisUrl ?? supervised!.url, logger, workers: true });

  const server: Server = await new Promise((resolve, reject) => {
    const s = berth.http.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  logger.info({ port: config.port, host: config.host, database: config.databaseUrl.split(':')[0] }, 'berth is serving');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      await berth.close();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    await supervised?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
