import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import supertest from 'supertest';
import WebSocket from 'ws';
import { loadDocument, type OpenApiDocument } from '../../api/openapi/document';
import { activate, bearer, OWNER, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, containersOf, execWs, installAndWait, listen, removeEngineObjects, testManifest } from '../helpers/apps';
import { checkResponse } from '../helpers/openapi-check';

jest.setTimeout(180_000);

/*
 * Two tenants with the same usernames, group names and app locations. For every box API operation with path
 * parameters (walked from openapi/box.yaml, so new operations are covered without touching this file), one
 * tenant's token on the other tenant's ids must answer exactly as for an id that exists nowhere: same status,
 * same error code, never 2xx. Anything else tells the caller the object exists, or hands it over.
 */

const PASSPHRASE = 'tenant isolation passphrase';
const ADMIN = { Authorization: `Basic ${Buffer.from(`admin:${PASSPHRASE}`).toString('base64')}` };
const SHARED = { username: 'shared', email: 'shared@example.com', displayName: 'Shared Name', password: 'Shared-pa55word!' };
const GROUP = 'Developers';
const LOCATION = 'same';
/** A 1×1 PNG: the apps get an icon, so GET …/icon has something to hand out. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
/** Shipped with Berth: in every tenant's catalogue, the one documented exception to "another tenant's id is unknown". */
const SHIPPED = { id: 'io.berth.staticweb', version: '1.0.0' };
const boxName = (tenant: 'A' | 'B') => `Isolation box of tenant ${tenant}`;
const TIME_ZONES = { A: 'Europe/Berlin', B: 'America/New_York' };

type Id = string | number;

interface Tenant {
  name: 'A' | 'B';
  instanceId: string;
  /** The Host header of the tenant (public routes resolve the tenant from it). */
  host: string;
  /** An owner token of the tenant: what walks the other tenant's ids. */
  token: string;
  ownerId: string;
  sharedId: string;
  groupId: string;
  appId: string;
  appFqdn: string;
  installTaskId: number;
  apiTokenId: string;
  apiTokenSecret: string;
  catalogueId: string;
  /** The tenant's real ids, by the path parameter name the document gives them. The first of each is used with the others. */
  ids: Record<string, Id[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// The document: every operation with path parameters, with a minimal valid body where one is required.

type Schema = Record<string, unknown>;

interface WalkOp {
  operationId: string;
  method: string;
  path: string;
  params: string[];
  /** Only when the request body is required. */
  body?: unknown;
  /** A WebSocket route (documents a 101): needs a real server. */
  websocket: boolean;
  label: string;
}

function deref(doc: OpenApiDocument, node: unknown): Schema {
  let current = node as Schema | undefined;
  for (let hops = 0; current && typeof current.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref loop at ${String(current.$ref)}`);
    const ref = current.$ref as string;
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc) as Schema | undefined;
    if (!current) throw new Error(`unresolved $ref ${ref}`);
  }
  return current ?? {};
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function walkOperations(doc: OpenApiDocument): WalkOp[] {
  const ops: WalkOp[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = ((item.parameters ?? []) as unknown[]).map((p) => deref(doc, p));
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const own = ((op.parameters ?? []) as unknown[]).map((p) => deref(doc, p));
      const params = [...new Set([...shared, ...own].filter((p) => p.in === 'path').map((p) => p.name as string))];
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const name of templated) if (!params.includes(name)) params.push(name);
      if (!params.length) continue;
      const requestBody = op.requestBody ? deref(doc, op.requestBody) : undefined;
      const jsonSchema = (requestBody?.content as Record<string, { schema?: unknown }> | undefined)?.['application/json']?.schema;
      const responses = (op.responses ?? {}) as Record<string, unknown>;
      ops.push({
        operationId: String(op.operationId),
        method,
        path,
        params,
        body: requestBody?.required ? (jsonSchema ? sample(doc, jsonSchema, 'body') : {}) : undefined,
        websocket: '101' in responses,
        label: `${method.toUpperCase()} ${path} (${String(op.operationId)})`,
      });
    }
  }
  return ops;
}

/** A plausible value for a schema: required properties only (and enough more for minProperties). */
function sample(doc: OpenApiDocument, node: unknown, name: string): unknown {
  const schema = deref(doc, node);
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const branches = (schema.oneOf ?? schema.anyOf) as unknown[] | undefined;
  if (branches) {
    const chosen = branches.find((b) => deref(doc, b).type !== 'null') ?? branches[0];
    return sample(doc, chosen, name);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...(schema.allOf as unknown[]).map((part) => sample(doc, part, name)));
  }
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type ?? (schema.properties ? 'object' : 'string')]) as string[];
  const type = types.find((t) => t !== 'null') ?? 'null';
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? Math.max(schema.minimum, 1) : 1;
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, () => sample(doc, schema.items, name));
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, unknown>;
      const required = (schema.required ?? []) as string[];
      const keys = [...required];
      const wanted = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
      for (const key of Object.keys(properties)) if (keys.length < wanted && !keys.includes(key)) keys.push(key);
      return Object.fromEntries(keys.map((key) => [key, sample(doc, properties[key] ?? {}, key)]));
    }
    default:
      return sampleString(schema, name);
  }
}

function sampleString(schema: Schema, name: string): string {
  if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
  let value = 'probe';
  if (/email/i.test(name)) value = 'probe@example.com';
  else if (/password/i.test(name)) value = 'Pr0be-passw0rd!';
  else if (/icon/i.test(name)) value = PNG;
  else if (/domain/i.test(name)) value = 'probe.iso.test';
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  return value.padEnd(min, 'x').slice(0, max);
}

/** An id of the same shape that exists in no tenant: `uid-<uuid>` keeps its prefix, integers stay integers. */
function madeUp(id: Id): Id {
  if (typeof id === 'number') return 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
  const uuid = /^([a-z]+-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.exec(id);
  if (uuid) return `${uuid[1] ?? ''}${randomUUID()}`;
  const pick = (chars: string) => chars[Math.floor(Math.random() * chars.length)];
  for (;;) {
    const other: string = id.replace(/[0-9]/g, () => pick('0123456789')).replace(/[a-z]/g, () => pick('abcdefghijklmnopqrstuvwxyz'));
    if (other !== id) return other;
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe('box API: tenant isolation across every operation', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let doc: OpenApiDocument;
  let ops: WalkOp[];
  let A: Tenant;
  let B: Tenant;
  const snapshots: Partial<Record<'A' | 'B', unknown>> = {};

  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    server = await listen(app);
    doc = loadDocument('box');
    ops = walkOperations(doc);

    // Tenant A: the default instance, activated through the box API.
    const ownerA = await activate(app);
    const defaultInstance = (await app.berth.store.instances.findDefault())!;
    // Tenant B: through the admin API, as an operator creates tenants; its owner takes A's owner's username.
    await app.berth.admin.passphrase.set(PASSPHRASE);
    const created = await app.admin.post('/instances').set(ADMIN).send({ domain: 'b.iso.test', email: OWNER.email }).expect(201);
    const inviteToken = new URL(created.body.meta.invite_link).searchParams.get('inviteToken');
    await app.api.post('/api/v1/cloudron/setup_account').set('Host', 'b.iso.test')
      .send({ inviteToken, username: OWNER.username, password: OWNER.password, displayName: OWNER.displayName })
      .expect(200);
    const minted = await app.admin.post('/instances/b.iso.test/token').set(ADMIN).send({ expires_in: 3600 }).expect(201);

    A = await populate('A', { instanceId: defaultInstance.id, host: defaultInstance.domain || 'localhost', token: ownerA.token, domain: 'a.iso.test' });
    B = await populate('B', { instanceId: created.body.data.id, host: 'b.iso.test', token: minted.body.token, domain: 'b.iso.test' });
  });

  afterAll(async () => {
    await server?.close();
    if (app) {
      // Uninstall first: containers removed behind the health monitor's back would be restarted before close.
      for (const t of [A, B]) if (t) await uninstallAndWait(t).catch(() => undefined);
      await removeEngineObjects(app);
      await app.close();
    }
  });

  async function uninstallAndWait(t: Tenant) {
    await app.api.post(`/api/v1/apps/${t.appId}/uninstall`).set(bearer(t.token)).expect(202);
    for (let i = 0; i < 300; i++) {
      if ((await supertest(app.berth.http).get(`/api/v1/apps/${t.appId}`).set(bearer(t.token))).status === 404) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The same things in a tenant: a user, a group, an app at location `same`, an API token, a custom catalogue app. */
  async function populate(name: 'A' | 'B', t: { instanceId: string; host: string; token: string; domain: string }): Promise<Tenant> {
    const auth = bearer(t.token);
    const ownerId = (await app.api.get('/api/v1/profile').set(auth).expect(200)).body.id as string;
    expect((await app.api.get('/api/v1/profile').set(auth).expect(200)).body.username).toBe(OWNER.username);
    const sharedId = (await app.api.post('/api/v1/users').set(auth).send(SHARED).expect(201)).body.id as string;
    const groupId = (await app.api.post('/api/v1/groups').set(auth).send({ name: GROUP }).expect(201)).body.id as string;
    await app.api.put(`/api/v1/groups/${groupId}/members`).set(auth).send({ userIds: [sharedId] }).expect(200);
    const apiToken = (await app.api.post('/api/v1/tokens').set(auth).send({ name: 'iso-script' }).expect(201)).body;
    // Box settings of its own: a name and a time zone each; only A gets an avatar.
    await app.api.post('/api/v1/settings/cloudron_name').set(auth).send({ name: boxName(name) }).expect(200);
    await app.api.post('/api/v1/settings/time_zone').set(auth).send({ timeZone: TIME_ZONES[name] }).expect(200);
    if (name === 'A') await app.api.post('/api/v1/settings/cloudron_avatar').set(auth).attach('avatar', Buffer.from(PNG, 'base64'), 'a.png').expect(200);
    const catalogueId = `io.berth.test.iso${name.toLowerCase()}`;
    await app.api.post('/api/v1/appstore/apps').set(auth)
      .send({ manifest: testManifest('web:1', { id: catalogueId, title: `Only in ${name}` }) })
      .expect(201);
    const installed = await installAndWait(app, t.token, {
      manifest: testManifest('web:1'),
      location: LOCATION,
      domain: t.domain,
      accessRestriction: { users: [sharedId], groups: [groupId] },
      icon: PNG,
    });
    expect(installed.app).toMatchObject({ installationState: 'installed', runState: 'running', fqdn: `${LOCATION}.${t.domain}` });

    // An app backup, so backup ids are walked too.
    const backupTask = (await app.api.post(`/api/v1/apps/${installed.id}/backup`).set(auth).expect(202)).body.taskId as number;
    const backedUp = await waitForTask(app, t.token, backupTask);
    expect(backedUp.success).toBe(true);
    const backupId = (backedUp.result as { backupId: string }).backupId;

    // A notification (only Berth itself makes them: written through the repository).
    const notificationId = `ntf-iso-${name}`;
    const at = new Date().toISOString();
    await app.berth.store.notifications.insert({
      id: notificationId, instanceId: t.instanceId, alertKey: null, eventId: null, title: `for ${name}`, message: 'isolation', acknowledged: false, createdAt: at, updatedAt: at,
    });

    const tokens = (await app.api.get('/api/v1/tokens').set(auth).expect(200)).body.tokens as Array<{ id: string; clientId: string }>;
    const events = (await app.api.get('/api/v1/eventlog?per_page=1000').set(auth).expect(200)).body.eventlogs as Array<{ id: string; action: string; target: string | null }>;
    const event = (action: string, target: string) => events.find((e) => e.action === action && e.target === target)?.id;
    const eventIds = [event('user.add', sharedId), event('app.install', installed.id), event('group.add', groupId), events[0]?.id].filter((id): id is string => Boolean(id));
    expect(eventIds.length).toBeGreaterThanOrEqual(3);

    return {
      name,
      instanceId: t.instanceId,
      host: t.host,
      token: t.token,
      ownerId,
      sharedId,
      groupId,
      appId: installed.id,
      appFqdn: installed.app.fqdn,
      installTaskId: installed.taskId,
      apiTokenId: apiToken.id,
      apiTokenSecret: apiToken.accessToken,
      catalogueId,
      ids: {
        appId: [installed.id],
        userId: [sharedId, ownerId],
        groupId: [groupId],
        taskId: [installed.taskId],
        // The API token, and the owner's other tokens (login or operator-minted).
        tokenId: [apiToken.id, ...tokens.filter((tk) => tk.id !== apiToken.id).map((tk) => tk.id)],
        eventId: [...new Set(eventIds)],
        appstoreId: [catalogueId],
        version: ['1.0.0'],
        domain: [t.domain],
        backupId: [backupId],
        notificationId: [notificationId],
      },
    };
  }

  interface Outcome {
    status: number;
    code?: string;
    /** Responses that break the document (from test/helpers/openapi-check.ts). */
    docProblem?: string;
  }

  const urlOf = (op: WalkOp, values: Record<string, Id>) =>
    '/api/v1' + op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(values[name])));

  /** One request as `caller`. Event streams are cut after their headers (a 200 stream would never end). */
  async function send(op: WalkOp, values: Record<string, Id>, caller: Tenant): Promise<Outcome> {
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
  function variants(op: WalkOp, owner: Tenant): Array<Record<string, Id>> {
    const count = Math.max(...op.params.map((p) => owner.ids[p].length));
    return Array.from({ length: count }, (_, i) => Object.fromEntries(op.params.map((p) => [p, owner.ids[p][Math.min(i, owner.ids[p].length - 1)]])));
  }

  const show = (o: Outcome) => `${o.status}${o.code ? ` ${o.code}` : ''}`;
  const is2xx = (status: number) => (status >= 200 && status < 300) || status === 101;

  /** `caller` on `owner`'s ids vs. `caller` on made-up ids of the same shape, for every operation. */
  async function walk(caller: Tenant, owner: Tenant): Promise<{ problems: string[]; table: string[]; calls: number }> {
    const problems: string[] = [];
    const table: string[] = [];
    let calls = 0;
    for (const op of ops) {
      for (const values of variants(op, owner)) {
        const fakeValues = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, madeUp(v)]));
        const real = await send(op, values, caller);
        const fake = await send(op, fakeValues, caller);
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
  async function snapshot(t: Tenant) {
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

  it('has, in each tenant, a real id for every path parameter the document uses', () => {
    const used = new Map<string, string[]>();
    for (const op of ops) for (const p of op.params) used.set(p, [...(used.get(p) ?? []), op.label]);
    expect(used.size).toBeGreaterThan(0);
    const missing = [...used.entries()].filter(([p]) => !A.ids[p]?.length || !B.ids[p]?.length);
    if (missing.length) {
      throw new Error(
        'openapi/box.yaml has path parameters test/box/tenant-isolation.test.ts has no tenant ids for — create such an object ' +
          'in populate() and add its id to `ids`:\n' + missing.map(([p, where]) => `  {${p}} in ${where.join(', ')}`).join('\n'),
      );
    }
    const unused = Object.keys(A.ids).filter((p) => !used.has(p));
    expect(unused).toEqual([]);
    // Same names, different objects.
    for (const key of Object.keys(A.ids)) {
      if (key === 'version') continue;
      for (const id of A.ids[key]) expect([key, B.ids[key].includes(id)]).toEqual([key, false]);
    }
  });

  it('uses live ids: each tenant reads its own objects through every GET with path parameters', async () => {
    const problems: string[] = [];
    for (const t of [A, B]) {
      for (const op of ops.filter((o) => o.method === 'get')) {
        for (const values of variants(op, t)) {
          const res = await send(op, values, t);
          if (!is2xx(res.status)) problems.push(`${op.label} as ${t.name} on its own ${urlOf(op, values)}: ${show(res)}`);
          if (res.docProblem) problems.push(`${op.label}: ${res.docProblem}`);
        }
      }
      // Both tenants have the same user name, group name and app location, and neither sees the other's.
      const users = (await app.api.get('/api/v1/users').set(bearer(t.token)).expect(200)).body.users;
      expect(users.map((u: { username: string }) => u.username).sort()).toEqual([OWNER.username, SHARED.username].sort());
      const groups = (await app.api.get('/api/v1/groups').set(bearer(t.token)).expect(200)).body.groups;
      expect(groups).toEqual([{ id: t.groupId, name: GROUP, userIds: [t.sharedId] }]);
      const apps = (await app.api.get('/api/v1/apps').set(bearer(t.token)).expect(200)).body.apps;
      expect(apps.map((a: { id: string; location: string }) => [a.id, a.location])).toEqual([[t.appId, LOCATION]]);
    }
    expect(problems).toEqual([]);
    // The exec route really runs commands for the app's own tenant.
    expect(await execWs(server.url, A.token, A.appId, ['echo', 'tenant-a'])).toMatchObject({ stdout: 'tenant-a\n', code: 0 });
  });

  it("gives B's owner, on every operation with A's ids, exactly the answer for an id that exists nowhere (never 2xx)", async () => {
    snapshots.A = await snapshot(A);
    const walked = ops.length;
    const { problems, table } = await walk(B, A);
    expect(table.length).toBeGreaterThan(0);
    expect(walked).toBeGreaterThanOrEqual(30);
    expect(problems).toEqual([]);
  });

  it("gives A's owner, on every operation with B's ids, the same answers (the other direction)", async () => {
    snapshots.B = await snapshot(B);
    const { problems } = await walk(A, B);
    expect(problems).toEqual([]);
    // The key routes, spelled out.
    const auth = bearer(A.token);
    expect((await app.api.get(`/api/v1/apps/${B.appId}`).set(auth).expect(404)).body.code).toBe('NOT_FOUND');
    await app.api.post(`/api/v1/apps/${B.appId}/stop`).set(auth).expect(404);
    await app.api.post(`/api/v1/apps/${B.appId}/uninstall`).set(auth).expect(404);
    await app.api.get(`/api/v1/users/${B.sharedId}`).set(auth).expect(404);
    await app.api.delete(`/api/v1/groups/${B.groupId}`).set(auth).expect(404);
    await app.api.get(`/api/v1/tasks/${B.installTaskId}`).set(auth).expect(404);
    await app.api.delete(`/api/v1/tokens/${B.apiTokenId}`).set(auth).expect(404);
    await app.api.get(`/api/v1/appstore/apps/${B.catalogueId}`).set(auth).expect(404);
    const exec = await execWs(server.url, A.token, B.appId, ['echo', 'leak']);
    expect({ status: exec.status, stdout: exec.stdout }).toEqual({ status: 404, stdout: '' });
  });

  it("treats the other tenant's ids in request bodies as unknown, as made-up ones", async () => {
    const auth = bearer(B.token);
    const compare = async (label: string, send: (id: string) => supertest.Test, real: string, fake: string) => {
      const [r, f] = [await send(real), await send(fake)];
      expect([label, r.status, r.body.code]).toEqual([label, f.status, f.body.code]);
      expect([label, r.status < 300]).toEqual([label, false]);
      return r;
    };
    await compare('group members', (id) => app.api.put(`/api/v1/groups/${B.groupId}/members`).set(auth).send({ userIds: [id] }), A.sharedId, madeUp(A.sharedId) as string);
    await compare('user groups', (id) => app.api.put(`/api/v1/users/${B.sharedId}/groups`).set(auth).send({ groupIds: [id] }), A.groupId, madeUp(A.groupId) as string);
    await compare('app access (user)', (id) => app.api.post(`/api/v1/apps/${B.appId}/configure`).set(auth).send({ accessRestriction: { users: [id], groups: [] } }), A.sharedId, madeUp(A.sharedId) as string);
    await compare('app access (group)', (id) => app.api.post(`/api/v1/apps/${B.appId}/configure`).set(auth).send({ accessRestriction: { users: [], groups: [id] } }), A.groupId, madeUp(A.groupId) as string);
    const install = await compare('install from a catalogue id',
      (id) => app.api.post('/api/v1/apps/install').set(auth).send({ appStoreId: id, location: 'probe', domain: 'b.iso.test', accessRestriction: null }),
      A.catalogueId, madeUp(A.catalogueId) as string);
    expect(install.status).toBe(404);
    await compare('update to a catalogue id', (id) => app.api.post(`/api/v1/apps/${B.appId}/update`).set(auth).send({ appStoreId: id }), A.catalogueId, madeUp(A.catalogueId) as string);
    const restore = await compare('restore from a backup id', (id) => app.api.post(`/api/v1/apps/${B.appId}/restore`).set(auth).send({ backupId: id }), String(A.ids.backupId[0]), madeUp(A.ids.backupId[0]) as string);
    expect(restore.status).toBe(404);
  });

  it('shares only what ships with Berth: the documented exception', async () => {
    for (const t of [A, B]) {
      const auth = bearer(t.token);
      const entry = (await app.api.get(`/api/v1/appstore/apps/${SHIPPED.id}`).set(auth).expect(200)).body;
      expect(entry).toMatchObject({ id: SHIPPED.id, source: 'builtin' });
      await app.api.get(`/api/v1/appstore/apps/${SHIPPED.id}/versions/${SHIPPED.version}`).set(auth).expect(200);
      // Nobody removes it, in any tenant.
      expect((await app.api.delete(`/api/v1/appstore/apps/${SHIPPED.id}`).set(auth).expect(403)).body.code).toBe('FORBIDDEN');
      // An admin-added one is the tenant's own.
      const other = t === A ? B : A;
      await app.api.get(`/api/v1/appstore/apps/${t.catalogueId}`).set(auth).expect(200);
      await app.api.get(`/api/v1/appstore/apps/${other.catalogueId}`).set(auth).expect(404);
      await app.api.get(`/api/v1/appstore/apps/${other.catalogueId}/versions/1.0.0`).set(auth).expect(404);
      const list = (await app.api.get('/api/v1/appstore/apps').set(auth).expect(200)).body.apps.map((a: { id: string }) => a.id);
      expect(list).toEqual(expect.arrayContaining([SHIPPED.id, t.catalogueId]));
      expect(list).not.toContain(other.catalogueId);
    }
  });

  it("shows none of the other tenant's ids in any listing (every authenticated GET without path parameters)", async () => {
    const listings = Object.entries(doc.paths).filter(([path, item]) => !path.includes('{') && item.get && (item.get as Schema).security === undefined);
    expect(listings.length).toBeGreaterThan(5);
    for (const [caller, other] of [[B, A], [A, B]] as const) {
      const secrets = [boxName(other.name), TIME_ZONES[other.name], other.instanceId, other.ownerId, other.sharedId, other.groupId, other.appId, other.appFqdn, other.apiTokenId, other.catalogueId, ...other.ids.tokenId, ...other.ids.eventId].map(String);
      for (const [path] of listings) {
        const query = /^\/(users|tasks|eventlog)$/.test(path) ? '?per_page=1000' : '';
        const res = await app.api.get(`/api/v1${path}${query}`).set(bearer(caller.token)).set('Host', caller.host);
        // 404 only where the caller's tenant has none (B has no avatar): never another tenant's.
        const expected = path === '/settings/cloudron_avatar' && caller === B ? 404 : 200;
        expect([path, res.status]).toEqual([path, expected]);
        const text = res.text ?? JSON.stringify(res.body);
        const leaked = secrets.filter((s) => text.includes(s));
        expect([`GET ${path} as ${caller.name}`, leaked]).toEqual([`GET ${path} as ${caller.name}`, []]);
      }
      // Settings are the caller's own, by token and (public status) by Host.
      const auth = bearer(caller.token);
      expect((await app.api.get('/api/v1/settings/cloudron_name').set(auth).expect(200)).body).toEqual({ name: boxName(caller.name) });
      expect((await app.api.get('/api/v1/settings/time_zone').set(auth).expect(200)).body).toEqual({ timeZone: TIME_ZONES[caller.name] });
      expect((await app.api.get('/api/v1/cloudron/status').set('Host', caller.host).expect(200)).body.cloudronName).toBe(boxName(caller.name));
    }
  });

  it('left both tenants as they were: apps running, users, groups, tokens and passwords untouched', async () => {
    for (const t of [A, B]) {
      const now = await snapshot(t);
      expect(now).toEqual(snapshots[t.name]);
      expect(now.app).toMatchObject({ installationState: 'installed', runState: 'running' });
      expect(now.containers).toEqual([expect.objectContaining({ state: 'running' })]);
      // The API token still works, and the shared user's password is still theirs.
      await app.api.get('/api/v1/profile').set(bearer(t.apiTokenSecret)).expect(200);
      await app.api.post('/api/v1/cloudron/login').set('Host', t.host).send({ username: SHARED.username, password: SHARED.password }).expect(200);
      const exec = await execWs(server.url, t.token, t.appId, ['echo', t.name]);
      expect(exec).toMatchObject({ stdout: `${t.name}\n`, code: 0 });
    }
  });
});
