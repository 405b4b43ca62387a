import type { IncomingMessage } from 'node:http';
import supertest from 'supertest';
import WebSocket from 'ws';
import { bearer } from './app';
import { containersOf } from './apps';
import type { IsolationBox, Tenant } from './isolation-fixture';
import { checkResponse } from './openapi-check';
import { madeUp, type Id, type WalkOp } from './openapi-walk';

/*
 * The requests of the tenant-isolation test (test/box/tenant-isolation.test.ts): one operation as one tenant,
 * the walk of every operation over the other tenant's ids, and a snapshot of what those calls must not change.
 */

export interface Outcome {
  status: number;
  code?: string;
  /** Responses that break the document (from test/helpers/openapi-check.ts). */
  docProblem?: string;
}

export const urlOf = (op: WalkOp, values: Record<string, Id>) =>
  '/api/v1' + op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(values[name])));

/** One request as `caller`. Event streams are cut after their headers (a 200 stream would never end). */
export async function send(box: IsolationBox, op: WalkOp, values: Record<string, Id>, caller: Tenant): Promise<Outcome> {
  const { app, server } = box;
  const url = urlOf(op, values);
  if (op.websocket) return upgrade(`${server.url}${url}`, caller);
  const method = op.method as 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';
  let request = supertest(app.berth.http)[method](url).set(bearer(caller.token)).set('Host', caller.host).timeout({ deadline: 20_000 });
  if (op.body !== undefined) request = request.send(op.body as object);
  const res = await request.buffer(true).parse((raw, done) => {
    const incoming = raw as unknown as IncomingMessage;
    if ((incoming.statusCode ?? 0) < 300 && /event-stream/.test(String(incoming.headers['content-type']))) {
      incoming.destroy();
      done(null, {});
      return;
    }
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      if (/json/.test(String(incoming.headers['content-type']))) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      done(null, body);
    });
  });
  let docProblem: string | undefined;
  if (!/event-stream/.test(String(res.headers['content-type']))) {
    try {
      checkResponse(app.berth.surfaces, res);
    } catch (err) {
      docProblem = (err as Error).message;
    }
  }
  return { status: res.status, code: (res.body as { code?: string } | undefined)?.code, docProblem };
}

/** A WebSocket upgrade: 101 when accepted (closed at once), else the refusal's status and code. */
function upgrade(url: string, caller: Tenant): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers: { ...bearer(caller.token), Host: caller.host } });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = JSON.parse(body).code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode ?? 0, code });
      });
    });
    ws.on('open', () => {
      resolve({ status: 101 });
      ws.close();
    });
    ws.on('error', (err) => resolve({ status: -1, code: `socket error: ${err.message}` }));
  });
}

/** Each operation once per id of the owner (more ids of one kind → more variants), the other parameters at their first id. */
export function variants(op: WalkOp, owner: Tenant): Array<Record<string, Id>> {
  const count = Math.max(...op.params.map((p) => owner.ids[p].length));
  return Array.from({ length: count }, (_, i) => Object.fromEntries(op.params.map((p) => [p, owner.ids[p][Math.min(i, owner.ids[p].length - 1)]])));
}

export const show = (o: Outcome) => `${o.status}${o.code ? ` ${o.code}` : ''}`;
export const is2xx = (status: number) => (status >= 200 && status < 300) || status === 101;

/** `caller` on `owner`'s ids vs. `caller` on made-up ids of the same shape, for every operation. */
export async function walk(box: IsolationBox, caller: Tenant, owner: Tenant): Promise<{ problems: string[]; table: string[]; calls: number }> {
  const problems: string[] = [];
  const table: string[] = [];
  let calls = 0;
  for (const op of box.ops) {
    for (const values of variants(op, owner)) {
      const fakeValues = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, madeUp(v)]));
      const real = await send(box, op, values, caller);
      const fake = await send(box, op, fakeValues, caller);
      calls += 2;
      const where = `${op.label} as ${caller.name} on ${owner.name}'s ${urlOf(op, values)}`;
      table.push(`${where}: ${show(real)} (made-up id: ${show(fake)})`);
      if (is2xx(real.status)) problems.push(`${where}: ${caller.name} got ${show(real)}: another tenant's object was served or changed`);
      else if (real.status !== fake.status || real.code !== fake.code) {
        problems.push(`${where}: ${caller.name} got ${show(real)}, but ${show(fake)} for a made-up id: the answer tells the object exists`);
      }
      for (const o of [real, fake]) if (o.docProblem) problems.push(`${where}: response breaks the document: ${o.docProblem}`);
    }
  }
  return { problems, table, calls };
}

/** What another tenant's calls must not change (volatile fields such as health and lastUsedAt left out). */
export async function snapshot({ app }: IsolationBox, t: Tenant) {
  const get = async (url: string) => (await app.api.get(url).set(bearer(t.token)).expect(200)).body;
  const appJson = await get(`/api/v1/apps/${t.appId}`);
  const icon = await supertest(app.berth.http).get(`/api/v1/apps/${t.appId}/icon`).set(bearer(t.token)).buffer(true);
  const containers = await containersOf(t.appId);
  return {
    app: {
      installationState: appJson.installationState,
      runState: appJson.runState,
      fqdn: appJson.fqdn,
      label: appJson.label,
      tags: appJson.tags,
      accessRestriction: appJson.accessRestriction,
      iconUrl: appJson.iconUrl,
      manifest: appJson.manifest,
      memoryLimit: appJson.memoryLimit,
      env: appJson.env,
      portBindings: appJson.portBindings,
      icon: { status: icon.status, bytes: icon.body?.length },
    },
    containers: containers.map((c) => ({ id: c.Id, state: c.State })),
    users: (await get('/api/v1/users?per_page=1000')).users,
    groups: (await get('/api/v1/groups')).groups,
    tokens: ((await get('/api/v1/tokens')).tokens as Array<{ id: string; name: string; scope: unknown; expires: unknown }>)
      .map(({ id, name, scope, expires }) => ({ id, name, scope, expires })),
    catalogue: ((await get('/api/v1/appstore/apps')).apps as Array<{ id: string; version: string; source: string }>)
      .map(({ id, version, source }) => ({ id, version, source })),
    tasks: ((await get('/api/v1/tasks?per_page=1000')).tasks as Array<{ id: number; type: string }>).map(({ id, type }) => ({ id, type })),
    // The health monitor records system events on its own; people's events come only from requests.
    userEvents: ((await get('/api/v1/eventlog?per_page=1000')).eventlogs as Array<{ id: string; action: string; source: { type: string } }>)
      .filter((e) => e.source.type === 'user')
      .map(({ id, action }) => ({ id, action })),
    settings: {
      name: await get('/api/v1/settings/cloudron_name'),
      timeZone: await get('/api/v1/settings/time_zone'),
      avatar: (await supertest(app.berth.http).get('/api/v1/settings/cloudron_avatar').set(bearer(t.token)).buffer(true)).status,
    },
  };
}
