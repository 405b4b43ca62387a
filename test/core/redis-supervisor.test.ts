import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startSupervisedRedis } from '../../server/redis-supervisor';
import { ConfigError } from '../../services/core/config';
import { createLogger } from '../../services/core/logger';

describe('the private redis-server (REDIS_URL unset)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-redis-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('runs on a unix socket with an append-only file and noeviction, and keeps data across restarts', async () => {
    const logger = createLogger('silent');
    let redis = await startSupervisedRedis(dataDir, logger);
    expect(redis.url).toBe(`unix://${path.join(dataDir, 'redis', 'redis.sock')}`);
    let client = new Redis({ path: redis.url.slice('unix://'.length) });
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'port')).toEqual(['port', '0']);
    await client.set('berth:test', 'kept');
    client.disconnect();
    await redis.stop();

    redis = await startSupervisedRedis(dataDir, logger);
    client = new Redis({ path: redis.url.slice('unix://'.length) });
    expect(await client.get('berth:test')).toBe('kept');
    client.disconnect();
    await redis.stop();
  });

  it('stops a redis-server left behind by a killed berth, and refuses a data dir another berth uses', async () => {
    const logger = createLogger('silent');
    const first = await startSupervisedRedis(dataDir, logger);
    const orphanPid = Number(fs.readFileSync(path.join(dataDir, 'redis', 'redis.pid'), 'utf8'));
    // As if this process had been SIGKILLed: nobody stopped `first`; the next start must clean it up.
    const second = await startSupervisedRedis(dataDir, logger);
    expect(() => process.kill(orphanPid, 0)).toThrow();
    await second.stop();
    await first.stop();

    const other = spawn('sleep', ['30']);
    fs.writeFileSync(path.join(dataDir, 'redis', 'owner.pid'), String(other.pid));
    try {
      await expect(startSupervisedRedis(dataDir, logger)).rejects.toThrow(/another berth process \(pid \d+\)/);
    } finally {
      other.kill();
    }
  });

  it('names the fix when redis-server is missing', async () => {
    const start = startSupervisedRedis(dataDir, createLogger('silent'), '/nonexistent/redis-server');
    await expect(start).rejects.toThrow(ConfigError);
    await expect(startSupervisedRedis(dataDir, createLogger('silent'), '/nonexistent/redis-server')).rejects.toThrow(/install it .* or set REDIS_URL/);
  });
});
