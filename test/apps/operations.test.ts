import { activate, bearer, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, addDomain, containersOf, execWs, fetchApp, installAndWait, listen, removeEngineObjects, testDocker, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(120_000);

/** Operations the day-to-day walk in lifecycle.test.ts does not reach: catalogue versions, ports, domains, icons, health. */
describe('app operations on a real Docker engine', () => {
  let app: TestApp;
  let token: string;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    await removeEngineObjects(app);
    await app.close();
  });

  const uninstall = async (id: string) => {
    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(bearer(token)).expect(202);
    while ((await app.api.get(`/api/v1/apps/${id}`).set(bearer(token))).status !== 404) await new Promise((r) => setTimeout(r, 100));
  };

  it('installs a pinned version an admin added to the catalogue, then updates it to the next version', async () => {
    const manifest = { ...testManifest('web:1'), id: 'io.example.ops' };
    await app.api.post('/api/v1/appstore/apps').set(bearer(token)).send({ manifest }).expect(201);
    await app.api.post('/api/v1/appstore/apps').set(bearer(token)).send({ manifest: { ...testManifest('web:2'), id: 'io.example.ops' } }).expect(201);
    const listed = await app.api.get('/api/v1/appstore/apps').set(bearer(token)).expect(200);
    expect(listed.body.apps.find((a: { id: string }) => a.id === 'io.example.ops')).toMatchObject({ manifest: { version: '2.0.0' } });

    const { id } = await installAndWait(app, token, { appStoreId: 'io.example.ops@1.0.0', location: 'pinned', domain: 'ops.test' });
    expect((await fetchApp(app, id, '/version')).body.trim()).toBe('v1');

    const update = await app.api.post(`/api/v1/apps/${id}/update`).set(bearer(token)).send({ version: '2.0.0' }).expect(202);
    expect(await waitForTask(app, token, update.body.taskId)).toMatchObject({ success: true });
    expect(await waitForApp(app, token, id)).toMatchObject({ installationState: 'installed', appStoreId: 'io.example.ops', manifest: { version: '2.0.0' } });
    expect((await fetchApp(app, id, '/version')).body.trim()).toBe('v2');

    // A version the catalogue does not have is refused before any task starts.
    const missing = await app.api.post(`/api/v1/apps/${id}/update`).set(bearer(token)).send({ version: '9.0.0' }).expect(404);
    expect(missing.body.message).toMatch(/9\.0\.0/);
    await uninstall(id);
  });

  it('moves an app to new host ports and another domain', async () => {
    // Ports below the ephemeral range (32768+), where a client socket elsewhere on the machine could hold them.
    const ported = testManifest('web:1', { tcpPorts: { ECHO_PORT: { title: 'Echo', defaultValue: 31021, containerPort: 7 } } });
    const { id, app: installed } = await installAndWait(app, token, { manifest: ported, location: 'mover', domain: 'ops.test' });
    expect(installed).toMatchObject({ portBindings: { ECHO_PORT: 31021 }, fqdn: 'mover.ops.test' });

    await addDomain(app, token, 'other.test');
    const configure = await app.api.post(`/api/v1/apps/${id}/configure`).set(bearer(token))
      .send({ portBindings: { ECHO_PORT: 31022 }, domain: 'other.test' }).expect(202);
    expect(await waitForTask(app, token, configure.body.taskId)).toMatchObject({ success: true });
    expect(await waitForApp(app, token, id)).toMatchObject({ installationState: 'installed', portBindings: { ECHO_PORT: 31022 }, fqdn: 'mover.other.test', domain: 'other.test' });

    const [container] = await containersOf(id);
    const inspected = await testDocker().getContainer(container.Id).inspect();
    expect(inspected.HostConfig.PortBindings).toMatchObject({ '7/tcp': [{ HostPort: '31022' }] });
    expect((await execWs(server.url, token, id, ['sh', '-c', 'echo $APP_DOMAIN $ECHO_PORT'])).stdout).toBe('mover.other.test 31022\n');
    // The old location is free again; the old port too.
    await installAndWait(app, token, { manifest: ported, location: 'mover', domain: 'ops.test' }).then((next) => uninstall(next.id));
    await uninstall(id);
  });

  it('sets a JPEG icon on an installed app and serves it with its type', async () => {
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'iconic', domain: 'ops.test' });
    // The smallest thing the icon check accepts as JPEG: the SOI marker and a JFIF APP0 header.
    const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
    await app.api.post(`/api/v1/apps/${id}/configure/icon`).set(bearer(token)).send({ icon: jpeg.toString('base64') }).expect(200);
    const icon = await app.api.get(`/api/v1/apps/${id}/icon`).set(bearer(token)).expect(200);
    expect(icon.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.compare(icon.body, jpeg)).toBe(0);
    const bad = await app.api.post(`/api/v1/apps/${id}/configure/icon`).set(bearer(token)).send({ icon: Buffer.from('GIF89a').toString('base64') }).expect(400);
    expect(bad.body.message).toMatch(/PNG or JPEG/);
    await uninstall(id);
  });

  it('reports an app unhealthy when its health path fails, and healthy again when it answers', async () => {
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'ailing', domain: 'ops.test' });
    const healthOf = async () => (await app.api.get(`/api/v1/apps/${id}`).set(bearer(token)).expect(200)).body.health;

    expect((await execWs(server.url, token, id, ['mv', '/www/healthz', '/www/healthz.off'])).code).toBe(0);
    while ((await healthOf()) !== 'unhealthy') await new Promise((r) => setTimeout(r, 200));
    // Unhealthy is reported, not acted on: the container keeps running.
    expect((await containersOf(id))[0].State).toBe('running');

    expect((await execWs(server.url, token, id, ['mv', '/www/healthz.off', '/www/healthz'])).code).toBe(0);
    while ((await healthOf()) !== 'healthy') await new Promise((r) => setTimeout(r, 200));

    const events = await app.api.get('/api/v1/eventlog?action=app.health&per_page=50').set(bearer(token)).expect(200);
    const changes = events.body.eventlogs.filter((e: { target: string }) => e.target === id).map((e: { data: { after: string } }) => e.data.after);
    expect(changes).toEqual(expect.arrayContaining(['unhealthy', 'healthy']));
    await uninstall(id);
  });
});
