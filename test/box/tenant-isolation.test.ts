import supertest from 'supertest';
import type { OpenApiDocument } from '../../api/openapi/document';
import { bearer, OWNER, type TestApp } from '../helpers/app';
import { execWs } from '../helpers/apps';
import { boxName, GROUP, LOCATION, SHARED, SHIPPED, startIsolationBox, TIME_ZONES, type IsolationBox, type Tenant } from '../helpers/isolation-fixture';
import { is2xx, send, show, snapshot, urlOf, variants, walk } from '../helpers/isolation-probe';
import { madeUp, type Schema, type WalkOp } from '../helpers/openapi-walk';

jest.setTimeout(180_000);

/*
 * Two tenants with the same usernames, group names and app locations. For every box API operation with path
 * parameters (walked from openapi/box.yaml, so new operations are covered without touching this file), one
 * tenant's token on the other tenant's ids must answer exactly as for an id that exists nowhere: same status,
 * same error code, never 2xx. Anything else tells the caller the object exists, or hands it over.
 * The fixture is test/helpers/isolation-fixture.ts, the requests test/helpers/isolation-probe.ts.
 */

describe('box API: tenant isolation across every operation', () => {
  let box: IsolationBox;
  let app: TestApp;
  let server: IsolationBox['server'];
  let doc: OpenApiDocument;
  let ops: WalkOp[];
  let A: Tenant;
  let B: Tenant;
  const snapshots: Partial<Record<'A' | 'B', unknown>> = {};

  beforeAll(async () => {
    box = await startIsolationBox();
    ({ app, server, doc, ops, A, B } = box);
  });

  afterAll(() => box?.close());

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
          const res = await send(box, op, values, t);
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
    snapshots.A = await snapshot(box, A);
    const walked = ops.length;
    const { problems, table } = await walk(box, B, A);
    expect(table.length).toBeGreaterThan(0);
    expect(walked).toBeGreaterThanOrEqual(30);
    expect(problems).toEqual([]);
  });

  it("gives A's owner, on every operation with B's ids, the same answers (the other direction)", async () => {
    snapshots.B = await snapshot(box, B);
    const { problems } = await walk(box, A, B);
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
      const now = await snapshot(box, t);
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
