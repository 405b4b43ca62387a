import { WebSocketServer } from 'ws';
import type { App } from '../../../services/apps/app-repo';
import type { LogLine } from '../../../services/apps/app-runtime';
import type { BoxHandlers } from '../handler-types';
import { actorOf, type BoxServices, ok, principalOf } from '../services';
import { execOverWebSocket } from './app-exec';

/** App JSON per seed 001 (and today's Cloudron names: subdomain, ports). Internal fields stay inside. */
export function renderApp(app: App) {
  const ports = Object.fromEntries(app.portBindings.map((b) => [b.envName, b.hostPort]));
  return {
    id: app.id,
    appStoreId: app.appStoreId,
    installationState: app.installationState,
    error: app.error,
    runState: app.runState,
    health: app.health,
    healthTime: app.healthTime,
    taskId: app.taskId,
    location: app.location,
    subdomain: app.location,
    domain: app.domain,
    fqdn: app.fqdn,
    manifest: app.manifest,
    portBindings: ports,
    ports,
    accessRestriction: app.accessRestriction,
    iconUrl: app.hasIcon ? `/api/v1/apps/${app.id}/icon` : null,
    memoryLimit: app.memoryLimit,
    env: app.env,
    label: app.label,
    tags: app.tags,
    sso: app.sso,
    enableBackup: app.enableBackup,
    enableAutomaticUpdate: app.enableAutomaticUpdate,
    alternateDomains: app.alternateDomains,
    creationTime: app.createdAt,
    ts: app.updatedAt,
  };
}

const accepted = (taskId: number) => ({ status: 202, body: { taskId } });

/** `subdomain` is today's Cloudron name for `location`. */
function withLocation<B extends { location?: string; subdomain?: string }>(body: B): Omit<B, 'subdomain'> {
  const { subdomain, ...rest } = body;
  return subdomain !== undefined && rest.location === undefined ? { ...rest, location: subdomain } : rest;
}

function logEntry(line: LogLine) {
  return { realtimeTimestamp: line.time, message: line.message, source: 'main', stream: line.stream };
}

export function appHandlers(s: BoxServices) {
  const wss = new WebSocketServer({ noServer: true });
  return {
    installApp: async (call) => {
      const { app, taskId } = await s.apps.install(actorOf(call), withLocation(call.body));
      return { status: 202, body: { id: app.id, taskId } };
    },
    listApps: async (call) => ok({ apps: (await s.apps.list(principalOf(call))).map(renderApp) }),
    getApp: async (call) => ok(renderApp(await s.apps.get(principalOf(call), call.params.appId))),
    restartApp: async (call) => accepted(await s.apps.operate(actorOf(call), call.params.appId, 'restart')),
    startApp: async (call) => accepted(await s.apps.operate(actorOf(call), call.params.appId, 'start')),
    stopApp: async (call) => accepted(await s.apps.operate(actorOf(call), call.params.appId, 'stop')),
    uninstallApp: async (call) => accepted(await s.apps.operate(actorOf(call), call.params.appId, 'uninstall')),
    configureApp: async (call) => {
      const { taskId } = await s.apps.configure(actorOf(call), call.params.appId, withLocation(call.body));
      return taskId === null ? ok({ taskId: null }) : accepted(taskId);
    },
    updateApp: async (call) => accepted(await s.apps.update(actorOf(call), call.params.appId, call.body)),
    getAppIcon: async (call) => {
      const icon = await s.apps.getIcon(principalOf(call), call.params.appId);
      const type = icon[0] === 0x89 ? 'image/png' : 'image/jpeg';
      call.res.status(200).type(type).set('Cache-Control', 'private, max-age=60').send(icon);
      return undefined;
    },
    setAppIcon: async (call) => {
      await s.apps.setIcon(actorOf(call), call.params.appId, call.body.icon);
      return ok({});
    },

    getAppLogs: async (call) => {
      const { lines = 100, format = 'plain' } = call.query;
      const entries = await s.apps.logs(principalOf(call).instanceId, call.params.appId, { lines });
      const out: string[] = [];
      for await (const line of entries) {
        out.push(format === 'json' ? JSON.stringify(logEntry(line)) : `${new Date(line.time).toISOString()} ${line.message}`);
      }
      call.res.status(200).type('application/x-logs').send(out.map((l) => l + '\n').join(''));
      return undefined;
    },

    getAppLogStream: async (call) => {
      const { req, res } = call;
      const controller = new AbortController();
      req.on('close', () => controller.abort());
      const lines = call.query.lines ?? 10;
      const entries = await s.apps.logs(principalOf(call).instanceId, call.params.appId, { lines, follow: true, signal: controller.signal });
      res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.flushHeaders();
      res.write('retry: 3000\n\n');
      try {
        for await (const line of entries) res.write(`id: ${line.time}\ndata: ${JSON.stringify(logEntry(line))}\n\n`);
      } catch {
        // The client went away, or the container did: either way the stream is over.
      }
      res.end();
      return undefined;
    },

    execApp: (call) => execOverWebSocket(s, wss, call),
  } satisfies Partial<BoxHandlers>;
}
