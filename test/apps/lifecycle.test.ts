import { activate, bearer, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { addDomain, APPS_ENV, containersOf, removeEngineObjects, execWs, fetchApp, installAndWait, listen, testDocker, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(120_000);

/** A user's whole path with a real Docker engine: install, watch, use, operate, reconfigure, update, remove. */
describe('apps on a real Docker engine', () => {
  let app: TestApp;
  let token: string;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    await addDomain(app, token, 'lifecycle.test');
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    await removeEngineObjects(app);
    await app.close();
  });

  it('installs a catalogue app, which becomes healthy and serves', async () => {
    const catalogue = await app.api.get('/api/v1/appstore/apps').set(bearer(token)).expect(200);
    expect(catalogue.body.apps.map((a: { id: string }) => a.id)).toContain('io.berth.staticweb');

    const res = await app.api.post('/api/v1/apps/install').set(bearer(token))
      .send({ appStoreId: 'io.berth.staticweb', location: 'site', domain: 'lifecycle.test', accessRestriction: null })
      .expect(202);
    const task = await app.api.get(`/api/v1/tasks/${res.body.taskId}`).set(bearer(token)).expect(200);
    expect(task.body.type).toBe('app');

    const installed = await waitForApp(app, token, res.body.id);
    expect(installed).toMatchObject({ installationState: 'installed', runState: 'running', health: 'healthy', taskId: null, error: null });
    expect(installed).toMatchObject({ appStoreId: 'io.berth.staticweb', fqdn: 'site.lifecycle.test', location: 'site', domain: 'lifecycle.test' });
    // The app row reaches `installed` inside the task; the task row ends a moment later, when the handler returns.
    expect(await waitForTask(app, token, res.body.taskId)).toMatchObject({ success: true, percent: 100 });

    expect((await fetchApp(app, res.body.id, '/')).body).toContain('Served by Berth');
    const [container] = await containersOf(res.body.id);
    expect(container.Labels).toMatchObject({ 'io.berth.app': res.body.id, 'io.berth.managed': '1' });

    await app.api.post(`/api/v1/apps/${res.body.id}/uninstall`).set(bearer(token)).expect(202);
    await waitUntilGone(res.body.id);
  });

  it('installs a custom image and supports every day-to-day operation', async () => {
    const { id, taskId } = await installAndWait(app, token, {
      manifest: testManifest('web:1', { env: { GREETING: 'hello' } }),
      location: 'web',
      domain: 'lifecycle.test',
      label: 'My web',
      tags: ['test'],
      env: { EXTRA: 'x' },
    });
    expect((await fetchApp(app, id, '/version')).body.trim()).toBe('v1');

    // The task reported its steps.
    const taskLog = await app.api.get(`/api/v1/tasks/${taskId}/logs`).set(bearer(token)).expect(200);
    expect(taskLog.text).toMatch(/health check passed/);

    // Logs, plain and JSON.
    const plain = await app.api.get(`/api/v1/apps/${id}/logs?lines=10`).set(bearer(token)).expect(200);
    expect(plain.headers['content-type']).toMatch(/application\/x-logs/);
    expect(plain.text).toMatch(/^\d{4}-\d\d-\d\dT.* web v1 starting$/m);
    const json = await app.api.get(`/api/v1/apps/${id}/logs?format=json`).set(bearer(token)).expect(200);
    // Looked for among the lines rather than taken as the first: health probes log too, and in one CI run the
    // first of the lines returned was a probe's (cause not found; the plain request above still saw the start).
    const entries = json.text.trim().split('\n').map((line) => JSON.parse(line));
    expect(entries).toContainEqual(expect.objectContaining({ message: 'web v1 starting', source: 'main', stream: 'stdout' }));
    expect(entries.every((e: { realtimeTimestamp: unknown }) => typeof e.realtimeTimestamp === 'number')).toBe(true);

    // Exec: env, stdin, stderr and the exit code all come through.
    const env = await execWs(server.url, token, id, ['sh', '-c', 'echo $GREETING $EXTRA $APP_DOMAIN; echo oops >&2; exit 7']);
    expect(env).toMatchObject({ stdout: 'hello x web.lifecycle.test\n', stderr: 'oops\n', code: 7 });
    const cat = await execWs(server.url, token, id, ['cat'], { stdin: 'piped through\n' });
    expect(cat).toMatchObject({ stdout: 'piped through\n', code: 0 });
    const write = await execWs(server.url, token, id, ['sh', '-c', 'echo kept > /app/data/file']);
    expect(write.code).toBe(0);

    // Restart keeps the data volume.
    const restart = await app.api.post(`/api/v1/apps/${id}/restart`).set(bearer(token)).expect(202);
    expect((await waitForApp(app, token, id)).installationState).toBe('installed');
    expect(restart.body.taskId).toBeGreaterThan(taskId);
    expect((await execWs(server.url, token, id, ['cat', '/app/data/file'])).stdout).toBe('kept\n');

    // Stop, then exec is refused; start again.
    await app.api.post(`/api/v1/apps/${id}/stop`).set(bearer(token)).expect(202);
    expect(await waitForApp(app, token, id)).toMatchObject({ installationState: 'installed', runState: 'stopped', health: null });
    expect((await containersOf(id))[0].State).toBe('exited');
    const refused = await execWs(server.url, token, id, ['true']);
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body!).message).toMatch(/not running/);
    await app.api.post(`/api/v1/apps/${id}/start`).set(bearer(token)).expect(202);
    expect(await waitForApp(app, token, id)).toMatchObject({ installationState: 'installed', runState: 'running', health: 'healthy' });

    // Metadata changes apply at once; container changes run a task that recreates the container.
    const meta = await app.api.post(`/api/v1/apps/${id}/configure`).set(bearer(token)).send({ label: 'Renamed', tags: ['a', 'b'] }).expect(200);
    expect(meta.body).toEqual({ taskId: null });
    const before = (await containersOf(id))[0].Id;
    const configure = await app.api.post(`/api/v1/apps/${id}/configure`).set(bearer(token))
      .send({ env: { EXTRA: 'y' }, memoryLimit: 128 * 1024 * 1024, location: 'web2' })
      .expect(202);
    expect(configure.body.taskId).toEqual(expect.any(Number));
    const configured = await waitForApp(app, token, id);
    expect(configured).toMatchObject({ installationState: 'installed', label: 'Renamed', tags: ['a', 'b'], fqdn: 'web2.lifecycle.test', memoryLimit: 128 * 1024 * 1024 });
    const [after] = await containersOf(id);
    expect(after.Id).not.toBe(before);
    const inspected = await testDocker().getContainer(after.Id).inspect();
    expect(inspected.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect((await execWs(server.url, token, id, ['sh', '-c', 'echo $EXTRA $APP_DOMAIN; cat /app/data/file'])).stdout).toBe('y web2.lifecycle.test\nkept\n');

    // Update to a new version of the image: the data stays.
    await app.api.post(`/api/v1/apps/${id}/update`).set(bearer(token)).send({ manifest: testManifest('web:2') }).expect(202);
    const updated = await waitForApp(app, token, id);
    expect(updated).toMatchObject({ installationState: 'installed', manifest: { version: '2.0.0', dockerImage: 'berth-test/web:2' } });
    expect((await fetchApp(app, id, '/version')).body.trim()).toBe('v2');
    expect((await execWs(server.url, token, id, ['cat', '/app/data/file'])).stdout).toBe('kept\n');

    // The audit log has the story.
    const events = await app.api.get('/api/v1/eventlog?per_page=100').set(bearer(token)).expect(200);
    const actions = events.body.eventlogs.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['app.install', 'app.restart', 'app.stop', 'app.start', 'app.configure', 'app.update', 'app.exec']));

    // Uninstall leaves nothing in the engine.
    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(bearer(token)).expect(202);
    await waitUntilGone(id);
    expect(await containersOf(id)).toEqual([]);
    const volumes = await testDocker().listVolumes({ filters: { label: [`io.berth.app=${id}`] } });
    expect(volumes.Volumes ?? []).toEqual([]);
  });

  it('streams logs as Server-Sent Events', async () => {
    const { id } = await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'stream', domain: 'lifecycle.test' });
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/v1/apps/${id}/logstream?lines=5`, { headers: bearer(token), signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    // Something new appears in the log while we listen (httpd -v logs each response).
    while (!text.includes('web v1 starting')) text += new TextDecoder().decode((await reader.read()).value);
    await fetchApp(app, id, '/no-such-page');
    while (!text.includes('response:404')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toMatch(/^id: \d+\ndata: \{"realtimeTimestamp":\d+,"message":"web v1 starting"/m);
    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(bearer(token)).expect(202);
    await waitUntilGone(id);
  });

  const waitUntilGone = async (id: string) => {
    for (;;) {
      const res = await app.api.get(`/api/v1/apps/${id}`).set(bearer(token));
      if (res.status === 404) return;
      expect(res.body.installationState).toBe('pending_uninstall');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
});
