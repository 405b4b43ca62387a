import { activate, bearer, createUserWithToken, startTestApp, type TestApp } from '../helpers/app';

describe('users, groups and the audit log', () => {
  let app: TestApp;
  let owner: { token: string; userId: string };
  beforeEach(async () => {
    app = await startTestApp();
    owner = await activate(app);
  });
  afterEach(() => app.close());

  const as = (token: string) => ({
    get: (url: string) => app.api.get(url).set(bearer(token)),
    post: (url: string, body: object) => app.api.post(url).set(bearer(token)).send(body),
    put: (url: string, body: object) => app.api.put(url).set(bearer(token)).send(body),
    delete: (url: string) => app.api.delete(url).set(bearer(token)),
  });

  it('adds, lists, searches, pages, updates and removes users', async () => {
    const api = as(owner.token);
    const alice = await api.post('/api/v1/users', { email: 'Alice@Example.com', username: 'alice', displayName: 'Alice Liddell', password: 'wonderland1' }).expect(201);
    expect(alice.body).toMatchObject({ username: 'alice', email: 'alice@example.com', role: 'user', admin: false, active: true, groupIds: [] });
    const invited = await api.post('/api/v1/users', { email: 'bob@example.com' }).expect(201);
    expect(invited.body.username).toBeNull();

    const list = await api.get('/api/v1/users?per_page=2').expect(200);
    expect(list.body.users).toHaveLength(2);
    const page2 = await api.get('/api/v1/users?per_page=2&page=2').expect(200);
    expect(page2.body.users).toHaveLength(1);
    const found = await api.get('/api/v1/users?search=liddell').expect(200);
    expect(found.body.users.map((u: { id: string }) => u.id)).toEqual([alice.body.id]);
    await api.get('/api/v1/users?search=%25').expect(200).then((r) => expect(r.body.users).toEqual([]));

    const updated = await api.post(`/api/v1/users/${alice.body.id}`, { displayName: 'Alice L.', admin: true }).expect(200);
    expect(updated.body).toMatchObject({ displayName: 'Alice L.', role: 'admin', admin: true });
    await api.post(`/api/v1/users/${invited.body.id}`, { username: 'bob' }).expect(200);
    await api.post(`/api/v1/users/${invited.body.id}`, { username: 'robert' }).expect(409);

    await api.delete(`/api/v1/users/${alice.body.id}`).expect(204);
    await api.get(`/api/v1/users/${alice.body.id}`).expect(404);
    await api.delete(`/api/v1/users/${alice.body.id}`).expect(404);
  });

  it('refuses duplicates with 409 within a tenant and bad names with 400', async () => {
    const api = as(owner.token);
    await api.post('/api/v1/users', { email: 'x@example.com', username: 'xavier' }).expect(201);
    const dupName = await api.post('/api/v1/users', { email: 'y@example.com', username: 'xavier' }).expect(409);
    expect(dupName.body.message).toMatch(/username/);
    const dupMail = await api.post('/api/v1/users', { email: 'X@example.com' }).expect(409);
    expect(dupMail.body.message).toMatch(/email/);
    await api.post('/api/v1/users', { email: 'z@example.com', username: 'root' }).expect(400);
    await api.post('/api/v1/users', { email: 'nope' }).expect(400);
  });

  it('enforces the role rules', async () => {
    const manager = await createUserWithToken(app, 'usermanager');
    const admin = await createUserWithToken(app, 'admin');
    const plain = await createUserWithToken(app, 'user');
    // A usermanager manages users, not admins or owners, and cannot grant admin.
    await as(manager.token).post(`/api/v1/users/${plain.userId}`, { displayName: 'ok' }).expect(200);
    await as(manager.token).post(`/api/v1/users/${admin.userId}`, { displayName: 'no' }).expect(403);
    await as(manager.token).post(`/api/v1/users/${owner.userId}`, { displayName: 'no' }).expect(403);
    await as(manager.token).post('/api/v1/users', { email: 'a@example.com', admin: true }).expect(403);
    // Only an owner acts on an owner.
    await as(admin.token).delete(`/api/v1/users/${owner.userId}`).expect(403);
    await as(admin.token).post('/api/v1/users', { email: 'o@example.com', role: 'owner' }).expect(403);
    // A user reads and edits only their own profile.
    await as(plain.token).get('/api/v1/users').expect(403);
    await as(plain.token).post('/api/v1/profile', { displayName: 'me' }).expect(200);
    // There is always an owner, and nobody demotes or deletes themselves.
    await as(owner.token).post(`/api/v1/users/${owner.userId}`, { role: 'admin' }).expect(409);
    await as(owner.token).post(`/api/v1/users/${owner.userId}`, { active: false }).expect(409);
    await as(owner.token).delete(`/api/v1/users/${owner.userId}`).expect(409);
  });

  it('stops an inactive user at once and revokes a deleted user\'s tokens', async () => {
    const api = as(owner.token);
    const created = await api.post('/api/v1/users', { email: 'c@example.com', username: 'carol', password: 'carol-pass-1' }).expect(201);
    const login = await app.api.post('/api/v1/cloudron/login').send({ username: 'carol', password: 'carol-pass-1' }).expect(200);
    await as(login.body.token).get('/api/v1/profile').expect(200);
    await api.post(`/api/v1/users/${created.body.id}`, { active: false }).expect(200);
    await as(login.body.token).get('/api/v1/profile').expect(401);
    await app.api.post('/api/v1/cloudron/login').send({ username: 'carol', password: 'carol-pass-1' }).expect(401);

    await api.post(`/api/v1/users/${created.body.id}`, { active: true }).expect(200);
    const again = await app.api.post('/api/v1/cloudron/login').send({ username: 'carol', password: 'carol-pass-1' }).expect(200);
    await api.post(`/api/v1/users/${created.body.id}/password`, { password: 'new-carol-pass' }).expect(204);
    await as(again.body.token).get('/api/v1/profile').expect(401);
    const third = await app.api.post('/api/v1/cloudron/login').send({ username: 'carol', password: 'new-carol-pass' }).expect(200);
    await api.delete(`/api/v1/users/${created.body.id}`).expect(204);
    await as(third.body.token).get('/api/v1/profile').expect(401);
    expect(await app.berth.db('tokens').where({ user_id: created.body.id })).toEqual([]);
  });

  it('manages groups and memberships within the tenant', async () => {
    const api = as(owner.token);
    const dev = await api.post('/api/v1/groups', { name: 'Developers' }).expect(201);
    await api.post('/api/v1/groups', { name: 'Developers' }).expect(409);
    await api.post('/api/v1/groups', { name: '-bad' }).expect(400);
    const user = await api.post('/api/v1/users', { email: 'd@example.com', username: 'dave' }).expect(201);

    const members = await api.put(`/api/v1/groups/${dev.body.id}/members`, { userIds: [user.body.id, owner.userId] }).expect(200);
    expect(members.body.userIds.sort()).toEqual([user.body.id, owner.userId].sort());
    await api.put(`/api/v1/groups/${dev.body.id}/members`, { userIds: ['uid-nobody'] }).expect(400);
    expect((await api.get(`/api/v1/users/${user.body.id}`).expect(200)).body.groupIds).toEqual([dev.body.id]);

    const ops = await api.post('/api/v1/groups', { name: 'Ops' }).expect(201);
    await api.put(`/api/v1/users/${user.body.id}/groups`, { groupIds: [ops.body.id] }).expect(204);
    await api.put(`/api/v1/users/${user.body.id}/groups`, { groupIds: ['gid-nope'] }).expect(400);
    expect((await api.get(`/api/v1/groups/${dev.body.id}`).expect(200)).body.userIds).toEqual([owner.userId]);

    await api.post(`/api/v1/groups/${ops.body.id}`, { name: 'Operations' }).expect(200);
    await api.delete(`/api/v1/users/${user.body.id}`).expect(204);
    expect((await api.get(`/api/v1/groups/${ops.body.id}`).expect(200)).body.userIds).toEqual([]);
    await api.delete(`/api/v1/groups/${ops.body.id}`).expect(204);
    await api.get(`/api/v1/groups/${ops.body.id}`).expect(404);
    expect((await api.get('/api/v1/groups').expect(200)).body.groups.map((g: { name: string }) => g.name)).toEqual(['Developers']);
  });

  it('records every change in the audit log, with secrets redacted', async () => {
    const api = as(owner.token);
    const user = await api.post('/api/v1/users', { email: 'e@example.com', username: 'eve', password: 'eve-password-1' }).expect(201);
    await api.post(`/api/v1/users/${user.body.id}`, { displayName: 'Eve' }).expect(200);
    await api.post(`/api/v1/users/${user.body.id}/password`, { password: 'eve-password-2' }).expect(204);
    await api.post('/api/v1/groups', { name: 'Audit' }).expect(201);

    const events = await api.get('/api/v1/eventlog?action=user.add,user.update,user.password,group.add').expect(200);
    expect(events.body.eventlogs.map((e: { action: string }) => e.action)).toEqual(['group.add', 'user.password', 'user.update', 'user.add']);
    const update = events.body.eventlogs[2];
    expect(update).toMatchObject({ target: user.body.id, source: { type: 'user', userId: owner.userId }, data: { changes: { displayName: { before: '', after: 'Eve' } } } });
    expect(update.source.ip).toBeTruthy();
    expect(JSON.stringify(events.body)).not.toMatch(/eve-password/);
    const one = await api.get(`/api/v1/eventlog/${update.id}`).expect(200);
    expect(one.body.id).toBe(update.id);
    await api.get('/api/v1/eventlog/eid-nothing').expect(404);
    const searched = await api.get('/api/v1/eventlog?search=Audit').expect(200);
    expect(searched.body.eventlogs.map((e: { action: string }) => e.action)).toEqual(['group.add']);
    const none = await api.get(`/api/v1/eventlog?from=${encodeURIComponent('2999-01-01T00:00:00Z')}`).expect(200);
    expect(none.body.eventlogs).toEqual([]);
  });

  it('records activation, logins, failed logins, logout, tokens and profile changes', async () => {
    await app.api.post('/api/v1/cloudron/login').send({ username: 'oksana', password: 'wrong-password' }).expect(401);
    const login = await app.api.post('/api/v1/cloudron/login').send({ username: 'oksana', password: 'strongPa55word!?' }).expect(200);
    const token = await as(login.body.token).post('/api/v1/tokens', { name: 'script' }).expect(201);
    await as(login.body.token).delete(`/api/v1/tokens/${token.body.id}`).expect(204);
    await as(login.body.token).post('/api/v1/profile', { displayName: 'O. M.' }).expect(200);
    await as(login.body.token).post('/api/v1/cloudron/logout', {}).expect(204);

    const events = await as(owner.token).get('/api/v1/eventlog?per_page=100').expect(200);
    const actions = events.body.eventlogs.map((e: { action: string }) => e.action).reverse();
    expect(actions).toEqual(['cloudron.activate', 'user.login.failed', 'user.login', 'token.add', 'token.remove', 'user.update', 'user.logout']);
    const failed = events.body.eventlogs.find((e: { action: string }) => e.action === 'user.login.failed');
    expect(failed).toMatchObject({ source: { type: 'system', userId: null }, data: { username: 'oksana', reason: 'wrong password' } });
    expect(JSON.stringify(events.body)).not.toContain(token.body.accessToken);
    expect(JSON.stringify(events.body)).not.toContain('wrong-password');
  });

  it('keeps tenants apart', async () => {
    const other = 'ins-other-tenant';
    await app.berth.store.instances.insert({ id: other, domain: 'other.example', isDefault: false, createdAt: new Date().toISOString() });
    const stranger = await createUserWithToken(app, 'owner', { instanceId: other });
    const mine = await as(owner.token).post('/api/v1/users', { email: 'f@example.com', username: 'frank' }).expect(201);
    // The same username may exist in another tenant.
    const theirs = await as(stranger.token).post('/api/v1/users', { email: 'f@example.com', username: 'frank' }).expect(201);
    await as(stranger.token).get(`/api/v1/users/${mine.body.id}`).expect(404);
    await as(stranger.token).delete(`/api/v1/users/${mine.body.id}`).expect(404);
    const group = await as(owner.token).post('/api/v1/groups', { name: 'Mine' }).expect(201);
    await as(owner.token).put(`/api/v1/groups/${group.body.id}/members`, { userIds: [theirs.body.id] }).expect(400);
    await as(stranger.token).get(`/api/v1/groups/${group.body.id}`).expect(404);
    expect((await as(stranger.token).get('/api/v1/eventlog').expect(200)).body.eventlogs.every((e: { target: string }) => e.target !== mine.body.id)).toBe(true);
  });
});
