import supertest from 'supertest';
import { loadDocument, type OpenApiDocument } from '../../api/openapi/document';
import { activate, bearer, OWNER, startTestApp, waitForTask, type TestApp } from './app';
import { APPS_ENV, installAndWait, listen, removeEngineObjects, testManifest } from './apps';
import { PNG, walkOperations, type Id, type WalkOp } from './openapi-walk';

/*
 * The fixture of the tenant-isolation test (test/box/tenant-isolation.test.ts): one Berth with two tenants that
 * have the same usernames, group names and app locations, each with one object of every kind the box API's path
 * parameters name.
 */

const PASSPHRASE = 'tenant isolation passphrase';
const ADMIN = { Authorization: `Basic ${Buffer.from(`admin:${PASSPHRASE}`).toString('base64')}` };
export const SHARED = { username: 'shared', email: 'shared@example.com', displayName: 'Shared Name', password: 'Shared-pa55word!' };
export const GROUP = 'Developers';
export const LOCATION = 'same';
/** Shipped with Berth: in every tenant's catalogue, the one documented exception to "another tenant's id is unknown". */
export const SHIPPED = { id: 'io.berth.staticweb', version: '1.0.0' };
export const boxName = (tenant: 'A' | 'B') => `Isolation box of tenant ${tenant}`;
export const TIME_ZONES = { A: 'Europe/Berlin', B: 'America/New_York' };


export interface Tenant {
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

export interface IsolationBox {
  app: TestApp;
  server: Awaited<ReturnType<typeof listen>>;
  doc: OpenApiDocument;
  /** Every box operation with path parameters. */
  ops: WalkOp[];
  A: Tenant;
  B: Tenant;
  /** Uninstalls both apps and closes Berth. */
  close(): Promise<void>;
}

/** Builds the box and both tenants; on a failure it closes what it built before throwing. */
export async function startIsolationBox(): Promise<IsolationBox> {
  const app = await startTestApp({ env: APPS_ENV, workers: true });
  let server: IsolationBox['server'] | undefined;
  const tenants: Tenant[] = [];
  const close = async () => {
    await server?.close();
    // Uninstall first: containers removed behind the health monitor's back would be restarted before close.
    for (const t of tenants) await uninstallAndWait(app, t).catch(() => undefined);
    await removeEngineObjects(app);
    await app.close();
  };
  try {
    server = await listen(app);
    const doc = loadDocument('box');
    const ops = walkOperations(doc);

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

    const A = await populate(app, 'A', { instanceId: defaultInstance.id, host: defaultInstance.domain || 'localhost', token: ownerA.token, domain: 'a.iso.test' });
    tenants.push(A);
    const B = await populate(app, 'B', { instanceId: created.body.data.id, host: 'b.iso.test', token: minted.body.token, domain: 'b.iso.test' });
    tenants.push(B);
    return { app, server, doc, ops, A, B, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function uninstallAndWait(app: TestApp, t: Tenant) {
  await app.api.post(`/api/v1/apps/${t.appId}/uninstall`).set(bearer(t.token)).expect(202);
  for (let i = 0; i < 300; i++) {
    if ((await supertest(app.berth.http).get(`/api/v1/apps/${t.appId}`).set(bearer(t.token))).status === 404) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The same things in a tenant: a user, a group, an app at location `same`, an API token, a custom catalogue app. */
async function populate(app: TestApp, name: 'A' | 'B', t: { instanceId: string; host: string; token: string; domain: string }): Promise<Tenant> {
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
