import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { routeUpgrades } from '../../api/http/upgrade';
import { bearer, type TestApp } from './app';
import { removeTenantObjects, testDocker } from './engine';

export { testDocker };

/** Test apps that run app tasks in-process, with short waits so failures show quickly. */
export const APPS_ENV = { BERTH_APP_START_TIMEOUT_SECS: '15', BERTH_APP_HEALTH_INTERVAL_SECS: '1', BERTH_TASK_HEARTBEAT_MS: '200', BERTH_TASK_STALE_MS: '1500' };

/** A manifest for one of the images scripts/build-images.sh --test builds. */
export function testManifest(image: 'web:1' | 'web:2' | 'crash:1' | 'unhealthy:1' | 'hog:1' | 'slow:1', extra: Record<string, unknown> = {}) {
  return {
    id: 'io.berth.test.web',
    version: image === 'web:2' ? '2.0.0' : '1.0.0',
    title: `Test ${image}`,
    dockerImage: `berth-test/${image}`,
    httpPort: 8080,
    healthCheckPath: '/healthz',
    addons: { localstorage: {} },
    ...extra,
  };
}

type AppJson = { installationState: string; runState: string; health: string | null; error: { message: string } | null; taskId: number | null };

/** Polls GET /apps/{id} until `done` (by default: no task pending) and returns the app. */
export async function waitForApp(app: TestApp, token: string, id: string, done: (a: AppJson) => boolean = (a) => !a.installationState.startsWith('pending_')) {
  for (;;) {
    const res = await app.api.get(`/api/v1/apps/${id}`).set(bearer(token)).expect(200);
    if (done(res.body)) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Adds a domain (provider `noop` unless told) for the token's tenant; one already added is left as it is.
 * Apps install only at domains the tenant has added.
 */
export async function addDomain(app: TestApp, token: string, domain: string, extra: Record<string, unknown> = {}) {
  const res = await app.api.post('/api/v1/domains').set(bearer(token)).send({ domain, provider: 'noop', config: {}, ...extra });
  if (res.status !== 201 && res.status !== 409) throw new Error(`adding domain ${domain} answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** Installs and waits (adding the domain first); fails with the app's error when the install did not reach `installed`. */
export async function installAndWait(app: TestApp, token: string, body: Record<string, unknown>) {
  await addDomain(app, token, String(body.domain ?? 'apps.test'));
  const res = await app.api.post('/api/v1/apps/install').set(bearer(token)).send({ accessRestriction: null, domain: 'apps.test', ...body });
  if (res.status !== 202) throw new Error(`install answered ${res.status}: ${JSON.stringify(res.body)}`);
  const done = await waitForApp(app, token, res.body.id);
  if (done.installationState !== 'installed') throw new Error(`install ended ${done.installationState}: ${done.error?.message}`);
  return { id: res.body.id as string, taskId: res.body.taskId as number, app: done };
}

/** Containers the engine still has for an app (by Berth's label). */
export async function containersOf(appId: string) {
  return testDocker().listContainers({ all: true, filters: { label: [`io.berth.app=${appId}`] } });
}

/**
 * A real listening server for the app (WebSockets need one), closed by the returned function; with
 * `surface: 'admin'`, for its admin API listener instead of the box API.
 */
export async function listen(app: TestApp, surface: 'box' | 'admin' = 'box'): Promise<{ url: string; close(): Promise<void> }> {
  const handler = surface === 'admin' ? app.berth.admin.http : app.berth.http;
  const server = http.createServer(handler);
  routeUpgrades(server, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  /** Set when the upgrade was refused: the HTTP status. */
  status?: number;
  body?: string;
}

/** Runs a command through the exec WebSocket, feeding `stdin` then EOF. */
export function execWs(baseUrl: string, token: string, appId: string, cmd: string[], options: { stdin?: string; tty?: boolean } = {}): Promise<ExecResult> {
  const query = new URLSearchParams({ cmd: JSON.stringify(cmd), tty: String(Boolean(options.tty)) });
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/api/v1/apps/${appId}/exec?${query}`, { headers: bearer(token) });
  const result: ExecResult = { stdout: '', stderr: '', code: null };
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ ...result, status: res.statusCode, body }));
    });
    ws.on('open', () => {
      if (options.stdin !== undefined) ws.send(Buffer.from(options.stdin), { binary: true });
      ws.send(JSON.stringify({ type: 'eof' }));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        const message = JSON.parse(data.toString());
        if (message.type === 'exit') result.code = message.code;
        return;
      }
      if (data[0] === 2) result.stderr += data.subarray(1).toString();
      else result.stdout += data.subarray(1).toString();
    });
    ws.on('close', () => resolve(result));
    ws.on('error', (err) => {
      if (result.code === null) reject(err);
    });
  });
}

/** GET through the app's published loopback port, with its Host header (what the reverse proxy will do). */
export async function fetchApp(app: TestApp, appId: string, path: string): Promise<{ status: number; body: string }> {
  const row = await app.berth.store.apps.getAny(appId);
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: row!.httpPort!, path, headers: { Host: row!.fqdn } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/**
 * Removes what the test app's tenants have in the engine now. `TestApp.close()` does it again once the
 * health monitor has stopped, so nothing comes back.
 */
export async function removeEngineObjects(app: TestApp): Promise<void> {
  const instances = await app.berth.db('instances').select('id');
  await removeTenantObjects((instances as Array<{ id: string }>).map((row) => row.id));
}
