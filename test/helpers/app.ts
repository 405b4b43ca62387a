import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { composeBerth, type Berth, type ComposeOptions } from '../../server/compose';
import { loadConfig } from '../../services/core/config';
import { createLogger } from '../../services/core/logger';
import { TokenService } from '../../services/tokens/token-service';
import { createTestSchema, dropTestSchema, onPostgres, postgresUrl } from './database';
import { checkResponse } from './openapi-check';
import { removeTenantObjects } from './engine';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestApp {
  berth: Berth;
  /** supertest against the real app; every response is checked against the OpenAPI documents. */
  api: TestAgent;
  /** supertest against the admin listener's app, checked against openapi/admin.yaml. */
  admin: TestAgent;
  dataDir: string;
  /** DATABASE_URL for another process (a worker) to use this app's database. */
  databaseUrl: string;
  close(): Promise<void>;
}

export interface TestAppOptions extends Partial<ComposeOptions> {
  env?: Record<string, string>;
  /** The engine, when a test needs a particular one (default: the suite's, TEST_DATABASE_URL). */
  database?: 'sqlite' | 'postgres';
}

/** A real Berth: its own database (SQLite file, or a PostgreSQL schema), the real Redis, real HTTP. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  const pgUrl = (options.database ?? (onPostgres ? 'postgres' : 'sqlite')) === 'postgres' ? postgresUrl : undefined;
  if (options.database === 'postgres' && !pgUrl) throw new Error('no PostgreSQL for this test: set TEST_POSTGRES_URL');
  const schema = pgUrl ? await createTestSchema(pgUrl) : undefined;
  const config = loadConfig({
    BERTH_DATA_DIR: dataDir,
    DATABASE_URL: pgUrl,
    REDIS_URL: TEST_REDIS_URL,
    DOCKER_HOST: process.env.DOCKER_HOST,
    BERTH_LOG_LEVEL: 'silent',
    // Test apps share one Redis: each gets its own queues and channels.
    BERTH_REDIS_PREFIX: `t${path.basename(dataDir).replace(/[^\w]/g, '')}`,
    // Tests call the scheduler API faster than a client may; test/scheduler/edge.test.ts turns the limit on.
    BERTH_SCHEDULER_RATE_LIMIT: '0',
    ...options.env,
  });
  const berth = await composeBerth(config, {
    redisUrl: config.redisUrl as string,
    dbSchema: schema,
    logger: options.logger ?? createLogger('silent'),
    // The ten-minute backup check once started a cleanup in the middle of a test: tests run schedules themselves.
    schedules: false,
    ...options,
  });
  const api = checkedAgent(berth.http, berth.surfaces);
  const admin = checkedAgent(berth.admin.http, [berth.admin.surface]);
  return {
    berth,
    api,
    admin,
    dataDir,
    databaseUrl: schema ? `${pgUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}` : config.databaseUrl,
    async close() {
      // The engine is cleaned after the workers and the health monitor have stopped: before, the monitor
      // could bring a removed app back.
      const instanceIds = (await berth.db('instances').select('id')).map((row: { id: string }) => row.id);
      await berth.close();
      await removeTenantObjects(instanceIds);
      if (schema) await dropTestSchema(schema, pgUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A supertest agent whose every request ends with the OpenAPI response check. */
function checkedAgent(http: Berth['http'], surfaces: Berth['surfaces']): TestAgent {
  const agent = supertest(http);
  return new Proxy(agent, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(prop)) {
        return (url: string) => (value as (url: string) => supertest.Test).call(target, url).expect((res) => checkResponse(surfaces, res));
      }
      return value;
    },
  }) as TestAgent;
}

export const OWNER = { username: 'oksana', password: 'strongPa55word!?', email: 'oksana@example.com', displayName: 'Oksana Muller' };

/** Activates the box and returns the owner's token. */
export async function activate(app: TestApp, owner = OWNER): Promise<{ token: string; userId: string }> {
  const res = await app.api.post('/api/v1/cloudron/activate').send(owner).expect(201);
  return { token: res.body.token, userId: res.body.userId };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * A user of the given role with a token, written straight through the repositories: for tests of access
 * rules that should not depend on the users API.
 */
export async function createUserWithToken(
  app: TestApp,
  role: 'owner' | 'admin' | 'usermanager' | 'user',
  options: { readOnly?: boolean; instanceId?: string } = {},
): Promise<{ userId: string; token: string }> {
  const { store } = app.berth;
  const instanceId = options.instanceId ?? (await store.instances.findDefault())!.id;
  const at = new Date().toISOString();
  const userId = `uid-${role}-${Math.random().toString(36).slice(2, 10)}`;
  await store.users.insert({
    id: userId, instanceId, username: userId.slice(4, 36), email: `${userId}@example.com`, fallbackEmail: '',
    displayName: '', role, active: true, passwordHash: null, createdAt: at, updatedAt: at,
  });
  const tokens = new TokenService({ tokens: store.tokens, clock: () => new Date() });
  const issued = await tokens.issue({ instanceId, userId, name: 'test', clientId: 'cid-api', scope: options.readOnly ? 'r' : 'rw' });
  return { userId, token: issued.secret };
}

/** Polls a task until `done` says so (or the test times out). */
export async function waitForTask(
  app: TestApp,
  token: string,
  taskId: number,
  done: (task: { active: boolean; pending: boolean; success: boolean; error: unknown; percent: number }) => boolean = (t) => !t.active && !t.pending,
) {
  for (;;) {
    const res = await app.api.get(`/api/v1/tasks/${taskId}`).set(bearer(token)).expect(200);
    if (done(res.body)) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads until `done` says so, every 50 ms (or until the test times out); returns what it read last. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Test apps that run tasks: test task types on, short heartbeats. */
export const TASK_ENV = { BERTH_TEST_TASKS: '1', BERTH_TASK_HEARTBEAT_MS: '200', BERTH_TASK_STALE_MS: '1500' };

/**
 * Creates a task by its type's name (test task types like `_sleep` have no typed caller): 400 for a name the
 * process does not know, and the args are checked against the type as for any task.
 */
export async function createTask(
  berth: Pick<Berth, 'tasks' | 'taskTypes'>,
  input: { instanceId: string; type: string; args?: unknown; objectKey?: string; timeoutMs?: number },
) {
  const { type, args, ...rest } = input;
  return berth.tasks.create(berth.taskTypes.byName(type), { ...rest, args: args ?? {} });
}
