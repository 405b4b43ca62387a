import { gunzipSync } from 'node:zlib';
import { bearer, startTestApp, type TestApp } from '../helpers/app';
import { APPS_ENV, containersOf, execWs, installAndWait, listen, removeEngineObjects, testDocker, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(180_000);

const ADMIN = { Authorization: `Basic ${Buffer.from('admin:correct horse battery staple').toString('base64')}` };
const DOMAIN = 'apps.tenant.test';

/** Tenants with apps on the real Docker engine: quotas, blocking, export, fsck and deletion. */
describe('admin API: a tenant with apps', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    // The health monitor would repair the removed container itself: here the fixer must.
    app = await startTestApp({ env: { ...APPS_ENV, BERTH_APP_HEALTH_INTERVAL_SECS: '3600' }, workers: true });
    await app.berth.admin.passphrase.set('correct horse battery staple');
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    await removeEngineObjects(app);
    await app.close();
  });

  /** Reads the names (and small contents) of a tar archive's files. */
  const untar = (tar: Buffer) => {
    const files: Record<string, string> = {};
    for (let offset = 0; offset + 512 <= tar.length; ) {
      const name = tar.subarray(offset, offset + 100).toString('utf8').replace(/\0.*$/s, '');
      if (!name) break;
      const size = parseInt(tar.subarray(offset + 124, offset + 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
      files[name] = tar.subarray(offset + 512, offset + 512 + size).toString('utf8');
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    return files;
  };
  const download = async (path: string) => {
    const res = await app.admin.get(path).set(ADMIN).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    return res.body as Buffer;
  };

  it('holds the tenant to its quota, keeps its apps running while blocked, exports, repairs and deletes it', async () => {
    const created = await app.admin.post('/instances').set(ADMIN).send({ domain: DOMAIN, email: `owner@${DOMAIN}`, quotas: { apps: 1 } }).expect(201);
    const instanceId = created.body.data.id;
    const token = (await app.admin.post(`/instances/${DOMAIN}/token`).set(ADMIN).expect(201)).body.token;
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'web', domain: DOMAIN });
    expect((await execWs(server.url, token, id, ['sh', '-c', 'echo kept > /app/data/hello.txt'])).code).toBe(0);

    // Quota: a second app is refused before anything is made.
    const refused = await app.api.post('/api/v1/apps/install').set(bearer(token))
      .send({ manifest: testManifest('web:1'), location: 'second', domain: DOMAIN, accessRestriction: null })
      .expect(403);
    expect(refused.body).toMatchObject({ code: 'QUOTA_EXCEEDED', message: 'This instance may have at most 1 apps' });
    expect((await app.admin.get('/instances/with-app-version/io.berth.test.web/1.0.0').set(ADMIN).expect(200)).body.instances).toEqual([DOMAIN]);

    // Blocked: the box API refuses, the app keeps serving.
    await app.admin.patch(`/instances/${DOMAIN}`).set(ADMIN).send({ blocked: true, blocking_reason: 'MOVING' }).expect(200);
    await app.api.get(`/api/v1/apps/${id}`).set(bearer(token)).expect(503);
    expect((await containersOf(id))[0].State).toBe('running');
    await app.admin.patch(`/instances/${DOMAIN}`).set(ADMIN).send({ blocked: false }).expect(200);

    // Export: records first, then the app's data.
    const started = await app.admin.post(`/instances/${DOMAIN}/export`).set(ADMIN).expect(202);
    let exported;
    for (;;) {
      exported = (await app.admin.get(`/instances/${DOMAIN}/exports/${started.body.export_id}`).set(ADMIN).expect(200)).body;
      if (exported.state !== 'queued') break;
      await app.admin.get(`/instances/${DOMAIN}/exports/${started.body.export_id}/data`).set(ADMIN).expect((r) => expect([200, 409]).toContain(r.status));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(exported).toMatchObject({ state: 'done', parts_cursors: [id] });
    const records = untar(gunzipSync(await download(`/instances/${DOMAIN}/exports/${started.body.export_id}/data`)));
    expect(Object.keys(records).sort()).toEqual(['apps.json', 'eventlog.json', 'groups.json', 'instance.json', 'settings.json', 'users.json']);
    expect(JSON.parse(records['apps.json'])[0]).toMatchObject({ id, fqdn: `web.${DOMAIN}` });
    expect(records['users.json']).not.toMatch(/passwordHash|scrypt/);
    const data = untar(await download(`/instances/${DOMAIN}/exports/${started.body.export_id}/data?cursor=${id}`));
    expect(data['data/hello.txt']).toBe('kept\n');
    await app.admin.get(`/instances/${DOMAIN}/exports/${started.body.export_id}/data?cursor=nope`).set(ADMIN).expect(404);

    // fsck finds a container removed behind Berth's back; the fixer (after a dry run) brings it back.
    const [container] = await containersOf(id);
    await testDocker().getContainer(container.Id).remove({ force: true });
    const fsck = await app.admin.get(`/instances/${DOMAIN}/fsck`).set(ADMIN).expect(200);
    const findings = fsck.text.trim().split('\n').map((line) => JSON.parse(line));
    expect(findings).toContainEqual({ type: 'app_container_missing', app_id: id, fqdn: `web.${DOMAIN}`, fixer: 'app-containers' });
    const dry = await app.admin.post(`/instances/${DOMAIN}/fixers/app-containers`).set(ADMIN).send({ dry_run: true }).expect(200);
    expect(dry.body.fixed).toEqual([{ action: 'recreate', app_id: id, task_id: null }]);
    expect(await containersOf(id)).toEqual([]);
    const fixed = await app.admin.post(`/instances/${DOMAIN}/fixers/app-containers`).set(ADMIN).send({ dry_run: false }).expect(200);
    expect(fixed.body.fixed[0]).toMatchObject({ action: 'recreate', app_id: id, task_id: expect.any(Number) });
    await waitForApp(app, token, id, (a) => a.installationState === 'installed' && a.health === 'healthy');
    expect((await execWs(server.url, token, id, ['cat', '/app/data/hello.txt'])).stdout).toBe('kept\n');

    // Delete: the task removes the app's container, its data, the tenant network, then the tenant.
    await app.admin.delete(`/instances/${DOMAIN}`).set(ADMIN).expect(202);
    await app.admin.delete(`/instances/${DOMAIN}`).set(ADMIN).expect((r) => expect([404, 409]).toContain(r.status));
    while ((await app.admin.get(`/instances/${DOMAIN}`).set(ADMIN)).status !== 404) await new Promise((r) => setTimeout(r, 100));
    expect(await containersOf(id)).toEqual([]);
    const label = { label: [`io.berth.instance=${instanceId}`] };
    expect((await testDocker().listVolumes({ filters: label })).Volumes ?? []).toEqual([]);
    expect(await testDocker().listNetworks({ filters: label })).toEqual([]);
    expect(await app.berth.store.apps.getAny(id)).toBeUndefined();
  });

  it('measures disk at install and holds a raised memory limit to the memory quota', async () => {
    const domain = 'disk.tenant.test';
    await app.admin.post('/instances').set(ADMIN).send({ domain, email: `owner@${domain}`, quotas: { disk: 1_000_000 } }).expect(201);
    const token = (await app.admin.post(`/instances/${domain}/token`).set(ADMIN).expect(201)).body.token;
    const { id, app: installed } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'web', domain });

    // Memory: exactly what the app has now; configure may lower it, not raise it.
    const memory = installed.memoryLimit as number;
    await app.admin.patch(`/instances/${domain}`).set(ADMIN).send({ quotas: { disk: 1_000_000, memory } }).expect(200);
    const raised = await app.api.post(`/api/v1/apps/${id}/configure`).set(bearer(token)).send({ memoryLimit: memory + 1024 ** 2 }).expect(403);
    expect(raised.body).toMatchObject({ code: 'QUOTA_EXCEEDED', message: expect.stringContaining('bytes of memory') });

    // Disk: the app's data grows past the quota (nothing stops a running app), so the next install is refused.
    expect((await execWs(server.url, token, id, ['sh', '-c', 'head -c 2097152 /dev/zero > /app/data/blob'])).code).toBe(0);
    await app.admin.patch(`/instances/${domain}`).set(ADMIN).send({ quotas: { disk: 1_000_000 } }).expect(200);
    const refused = await app.api.post('/api/v1/apps/install').set(bearer(token))
      .send({ manifest: testManifest('web:1'), location: 'second', domain, accessRestriction: null })
      .expect(403);
    expect(refused.body).toMatchObject({ code: 'QUOTA_EXCEEDED', message: expect.stringMatching(/at most 1000000 bytes of disk \(\d+ in use\)/) });
    const fsck = await app.admin.get(`/instances/${domain}/fsck`).set(ADMIN).expect(200);
    const findings = fsck.text.trim().split('\n').map((line) => JSON.parse(line));
    expect(findings).toContainEqual({ type: 'quota_exceeded', quota: 'disk', used: expect.any(Number), limit: 1_000_000 });
    expect(findings.find((f) => f.quota === 'disk').used).toBeGreaterThanOrEqual(2097152);

    // Room again once the data is gone.
    expect((await execWs(server.url, token, id, ['rm', '/app/data/blob'])).code).toBe(0);
    await app.admin.get(`/instances/${domain}/fsck`).set(ADMIN).expect(200).expect((r) => expect(r.text).toBe(''));
  });
});
