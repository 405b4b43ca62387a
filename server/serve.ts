import { createServer, type Server } from 'node:http';
import type { Config } from '../services/core/config';
import { createLogger } from '../services/core/logger';
import { composeBerth } from './compose';
import { startSupervisedRedis, type SupervisedRedis } from './redis-supervisor';
import { routeUpgrades } from '../api/http/upgrade';

/** `berth serve`: the APIs and the task workers in one process (the embedded default). */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  let supervised: SupervisedRedis | undefined;
  if (!config.redisUrl) supervised = await startSupervisedRedis(config.dataDir, logger);
  let berth: Awaited<ReturnType<typeof composeBerth>> | undefined;
  let server: Server;
  let admin: Server | undefined;
  try {
    berth = await composeBerth(config, { redisUrl: config.redisUrl ?? supervised!.url, logger, workers: true });
    server = createServer(berth.http);
    routeUpgrades(server, berth.http);
    server = await listen(server, config.port, config.host, 'BERTH_PORT');
    // The admin API opens only with a passphrase: there is no unauthenticated mode.
    if (berth.admin.passphrase.isSet()) {
      admin = await listen(createServer(berth.admin.http), config.adminPort, config.adminHost, 'BERTH_ADMIN_PORT');
      logger.info({ port: config.adminPort, host: config.adminHost }, 'admin API is serving');
    } else {
      logger.warn(`the admin API is closed: no admin passphrase is set. Set one with \`berth admin passphrase\` (same BERTH_DATA_DIR) and restart`);
    }
  } catch (err) {
    // Leave nothing behind: a failed start stops what it started.
    await berth?.close().catch(() => undefined);
    await supervised?.stop();
    throw err;
  }
  logger.info({ port: config.port, host: config.host, database: config.databaseUrl.split(':')[0] }, 'berth is serving');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    await Promise.all([server, admin].map((s) => s && new Promise<void>((resolve) => s.close(() => resolve()))));
    try {
      await berth!.close();
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

function listen(server: Server, port: number, host: string, variable: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`${variable} ${port} is already in use on ${host}`) : err),
    );
    server.listen(port, host, () => resolve(server));
  });
}
