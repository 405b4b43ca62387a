import net from 'node:net';
import { activate, bearer, createUserWithToken, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { addDomain, APPS_ENV, containersOf, testDocker, installAndWait, listen, removeEngineObjects, testManifest, waitForApp, execWs } from '../helpers/apps';

jest.setTimeout(120_000);

/** Bad input, broken images and refused operations: clear 4xx or a clear task error, and nothing half-made. */
describe('apps: failures and bad input', () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    // 8 s: long enough for the memory hog to reach its limit on a loaded machine (at 4 s it once failed its health
    // check first), short enough to keep the never-healthy case quick.
    app = await startTestApp({ env: { ...APPS_ENV, BERTH_APP_START_TIMEOUT_SECS: '8' }, workers: true });
    token = (await activate(app)).token;
    await addDomain(app, token, 'failures.test');
  });
  afterAll(async () => {
    await removeEngineObjects(app);
    await app.close();
  });

  const install = (body: Record<string, unknown>) =>
    app.api.post('/api/v1/apps/install').set(bearer(token)).send({ accessRestriction: null, domain: 'failures.test', ...body });
  const taskCount = async () => (await app.api.get('/api/v1/tasks?per_page=1000').set(bearer(token)).expect(200)).body.tasks.length;
  const appCount = async () => (await app.api.get('/api/v1/apps').set(bearer(token)).expect(200)).body.apps.length;

  it('refuses bad requests before anything is created', async () => {
    const tasks = await taskCount();
    const apps = await appCount();
    const unknown = await install({ appStoreId: 'org.example.nothing', location: 'a' }).expect(404);
    expect(unknown.body).toMatchObject({ status: 'Not Found', message: expect.stringMatching(/org\.example\.nothing/) });

    const noImage = await install({ manifest: { ...testManifest('web:1'), dockerImage: undefined }, location: 'a' }).expect(400);
    expect(noImage.body).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/manifest\.dockerImage/) });
    const addon = await install({ manifest: testManifest('web:1', { addons: { mysql: {} } }), location: 'a' }).expect(400);
    expect(addon.body.message).toMatch(/manifest\.addons\.mysql is not available in Berth yet/);
    const port = await install({ manifest: testManifest('web:1', { httpPort: 70000 }), location: 'a' }).expect(400);
    expect(port.body.message).toMatch(/manifest\.httpPort/);
    const memory = await install({ manifest: testManifest('web:1', { memoryLimit: 128 * 1024 ** 2 }), location: 'a', memoryLimit: 64 * 1024 ** 2 }).expect(400);
    expect(memory.body.message).toMatch(/memoryLimit must be at least 134217728 bytes/);
    const both = await install({ manifest: testManifest('web:1'), appStoreId: 'io.berth.staticweb', location: 'a' }).expect(400);
    expect(both.body.message).toMatch(/either manifest or appStoreId/);
    const location = await install({ manifest: testManifest('web:1'), location: 'not a label!' }).expect(400);
    expect(location.body.message).toMatch(/location/);
    const domain = await install({ manifest: testManifest('web:1'), location: 'a', domain: 'nodots' }).expect(400);
    expect(domain.body.message).toMatch(/domain/);
    // Apps install only at domains the tenant has added (and so has a DNS provider for).
    const unknownDomain = await install({ manifest: testManifest('web:1'), location: 'a', domain: 'not-added.test' }).expect(400);
    expect(unknownDomain.body).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/No such domain not-added\.test/) });
    const unknownAlternate = await install({ manifest: testManifest('web:1'), location: 'a', alternateDomains: [{ domain: 'not-added.test', subdomain: 'www' }] }).expect(400);
    expect(unknownAlternate.body.message).toMatch(/No such domain not-added\.test/);
    const twice = await install({ manifest: testManifest('web:1'), location: 'a', alternateDomains: [{ domain: 'failures.test', subdomain: 'a' }] }).expect(400);
    expect(twice.body.message).toMatch(/a\.failures\.test is given twice/);
    const env = await install({ manifest: testManifest('web:1'), location: 'a', env: { APP_ORIGIN: 'x' } }).expect(400);
    expect(env.body.message).toMatch(/env\.APP_ORIGIN is set by Berth/);
    const extra = await install({ manifest: testManifest('web:1'), location: 'a', colour: 'blue' }).expect(400);
    expect(extra.body.message).toMatch(/colour/);
    const reserved = await install({ manifest: testManifest('web:1', { tcpPorts: { SSH_PORT: { defaultValue: 22 } } }), location: 'a' }).expect(400);
    expect(reserved.body.message).toMatch(/port 22 is reserved/);
    const icon = await install({ manifest: testManifest('web:1'), location: 'a', icon: Buffer.from('not an image').toString('base64') }).expect(400);
    expect(icon.body.message).toMatch(/icon must be a base64-encoded PNG or JPEG/);

    expect(await taskCount()).toBe(tasks);
    expect(await appCount()).toBe(apps);
  });

  it('refuses a location or a host port that is taken (409, before any task starts)', async () => {
    const ported = testManifest('web:1', { tcpPorts: { ECHO_PORT: { title: 'Echo', defaultValue: 31011, containerPort: 7 } } });
    const first = await installAndWait(app, token, { domain: 'failures.test', manifest: ported, location: 'taken' });
    expect(first.app.portBindings).toEqual({ ECHO_PORT: 31011 });
    expect(first.app.ports).toEqual({ ECHO_PORT: 31011 });
    const tasks = await taskCount();

    const sameLocation = await install({ manifest: testManifest('web:1'), location: 'TAKEN' }).expect(409);
    expect(sameLocation.body.message).toMatch(/taken\.failures\.test is already used/);
    const samePort = await install({ manifest: ported, location: 'other' }).expect(409);
    expect(samePort.body.message).toMatch(/Port 31011\/tcp \(ECHO_PORT\) is already in use by another app/);

    // A port something else on the machine listens on.
    const squatter = net.createServer().listen(31012, '0.0.0.0');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const busy = await install({ manifest: ported, location: 'other', portBindings: { ECHO_PORT: 31012 } }).expect(409);
      expect(busy.body.message).toMatch(/Port 31012\/tcp \(ECHO_PORT\) is already in use on this machine/);
    } finally {
      squatter.close();
    }
    expect(await taskCount()).toBe(tasks);

    // The port is free again once its app is gone.
    await app.api.post(`/api/v1/apps/${first.id}/uninstall`).set(bearer(token)).expect(202);
    await waitGone(first.id);
    const reuse = await installAndWait(app, token, { domain: 'failures.test', manifest: ported, location: 'reuse' });
    await app.api.post(`/api/v1/apps/${reuse.id}/uninstall`).set(bearer(token)).expect(202);
    await waitGone(reuse.id);
  });

  it('fails the task with a clear message when the app crashes, never turns healthy, runs out of memory or has no image', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['crash', testManifest('crash:1'), /exited with code 3 while starting\. Last log lines:\n(about to crash\nno config found|no config found\nabout to crash)$/],
      ['unhealthy', testManifest('unhealthy:1'), /did not pass its health check \(GET \/healthz: \w+\) within 8 s/],
      // The engine's OOM flag, or (cgroup v2 engines sometimes drop it) a SIGKILL under the limit.
      ['hog', testManifest('hog:1', { memoryLimit: 48 * 1024 ** 2 }), /killed (\(exit code 137\), most likely )?for using more than its memory limit \(48 MiB\)/],
      ['noimage', testManifest('web:1', { dockerImage: 'berth-test/missing:1' }), /Image berth-test\/missing:1 is not on the Docker engine and could not be pulled/],
    ];
    const started = await Promise.all(cases.map(([location, manifest]) => install({ manifest, location }).expect(202)));
    for (const [index, [, , message]] of cases.entries()) {
      const { id, taskId } = started[index].body;
      const failed = await waitForApp(app, token, id);
      expect(failed).toMatchObject({ installationState: 'error', taskId, error: { installationState: 'pending_install', taskId, message: expect.stringMatching(message) } });
      // The task row ends just after the handler has moved the app to `error`.
      expect(await waitForTask(app, token, taskId)).toMatchObject({ success: false, error: { code: 'failed', message: expect.stringMatching(message) } });
    }
    // An app in error can be uninstalled, and nothing stays in the engine.
    for (const res of started) await app.api.post(`/api/v1/apps/${res.body.id}/uninstall`).set(bearer(token)).expect(202);
    for (const res of started) await waitGone(res.body.id);
    for (const res of started) expect(await containersOf(res.body.id)).toEqual([]);
  });

  it('answers 409 naming the state for an operation the state does not allow, and uninstall pre-empts', async () => {
    const res = await install({ manifest: testManifest('slow:1'), location: 'busy' }).expect(202);
    const restart = await app.api.post(`/api/v1/apps/${res.body.id}/restart`).set(bearer(token)).expect(409);
    expect(restart.body).toMatchObject({ code: 'CONFLICT', message: 'Cannot restart the app while it is pending_install' });
    await app.api.post(`/api/v1/apps/${res.body.id}/configure`).set(bearer(token)).send({ memoryLimit: 0 }).expect(409);
    // Uninstall during the install: the install is stopped and the uninstall runs after it.
    await app.api.post(`/api/v1/apps/${res.body.id}/uninstall`).set(bearer(token)).expect(202);
    // A second one is refused while the first runs; it may already have finished (nothing was made yet): 404.
    const again = await app.api.post(`/api/v1/apps/${res.body.id}/uninstall`).set(bearer(token));
    if (again.status === 409) expect(again.body.message).toMatch(/pending_uninstall/);
    else expect(again.status).toBe(404);
    await waitGone(res.body.id);
    // The stopped install may still have been inside an engine call: it removes what it made when it returns.
    while ((await containersOf(res.body.id)).length) await new Promise((r) => setTimeout(r, 100));
    const install1 = await app.api.get(`/api/v1/tasks/${res.body.taskId}`).set(bearer(token)).expect(200);
    expect(install1.body.error.code).toBe('stopped');
  });

  it('uninstalls when a container appears while it runs (a pre-empted install still inside an engine call)', async () => {
    const { id } = await installAndWait(app, token, { domain: 'failures.test', manifest: testManifest('web:1'), location: 'racer' });
    const docker = app.berth.docker;
    const getVolume = docker.getVolume.bind(docker);
    let raced = false;
    // Just before the uninstall removes the data volume, a container using it appears, as one created by a
    // stopped install whose engine call returned late would.
    docker.getVolume = (name: string) => {
      const volume = getVolume(name);
      if (raced || name !== `berth-app-${id}-data`) return volume;
      raced = true;
      const remove = volume.remove.bind(volume);
      volume.remove = (async () => {
        await docker.createContainer({ Image: 'berth-test/web:1', Labels: { 'io.berth.app': id }, HostConfig: { Binds: [`${name}:/app/data`] } });
        return remove();
      }) as typeof volume.remove;
      return volume;
    };
    try {
      await app.api.post(`/api/v1/apps/${id}/uninstall`).set(bearer(token)).expect(202);
      await waitGone(id);
    } finally {
      docker.getVolume = getVolume;
    }
    expect(raced).toBe(true);
    expect(await containersOf(id)).toEqual([]);
    expect((await testDocker().listVolumes({ filters: { name: [`berth-app-${id}-data`] } })).Volumes ?? []).toEqual([]);
  });

  it('refuses install while the Docker engine is down (503 with a Docker code), leaving nothing behind', async () => {
    const down = await startTestApp({ env: { ...APPS_ENV, DOCKER_HOST: 'unix:///tmp/berth-no-such-engine.sock' }, workers: true });
    try {
      const owner = await activate(down);
      await addDomain(down, owner.token, 'down.test');
      const res = await down.api.post('/api/v1/apps/install').set(bearer(owner.token))
        .send({ manifest: testManifest('web:1'), location: 'x', domain: 'down.test', accessRestriction: null })
        .expect(503);
      expect(res.body).toMatchObject({ code: 'DOCKER_UNAVAILABLE', message: expect.stringMatching(/Docker engine is not reachable/) });
      expect((await down.api.get('/api/v1/apps').set(bearer(owner.token)).expect(200)).body.apps).toEqual([]);
      expect((await down.api.get('/api/v1/tasks').set(bearer(owner.token)).expect(200)).body.tasks).toEqual([]);
    } finally {
      await down.close();
    }
  });

  it('checks roles, read-only tokens and access restrictions', async () => {
    const { id } = await installAndWait(app, token, { domain: 'failures.test', manifest: testManifest('web:1'), location: 'roles' });
    const user = await createUserWithToken(app, 'user');
    const readOnlyAdmin = await createUserWithToken(app, 'admin', { readOnly: true });
    await app.api.post('/api/v1/apps/install').set(bearer(user.token)).send({ manifest: testManifest('web:1'), location: 'u', domain: 'failures.test', accessRestriction: null }).expect(403);
    await app.api.post(`/api/v1/apps/${id}/restart`).set(bearer(readOnlyAdmin.token)).expect(403);
    await app.api.get(`/api/v1/apps/${id}/logs`).set(bearer(user.token)).expect(403);

    // Everyone may use an unrestricted app; a restriction hides it from others.
    expect((await app.api.get(`/api/v1/apps/${id}`).set(bearer(user.token)).expect(200)).body.id).toBe(id);
    const other = await createUserWithToken(app, 'user');
    await app.api.post(`/api/v1/apps/${id}/configure`).set(bearer(token)).send({ accessRestriction: { users: [other.userId], groups: [] } }).expect(200);
    await app.api.get(`/api/v1/apps/${id}`).set(bearer(user.token)).expect(404);
    const ids = async (t: string) => (await app.api.get('/api/v1/apps').set(bearer(t)).expect(200)).body.apps.map((a: { id: string }) => a.id);
    expect(await ids(user.token)).not.toContain(id);
    expect(await ids(other.token)).toContain(id);
    await app.api.post(`/api/v1/apps/${id}/configure`).set(bearer(token)).send({ accessRestriction: { users: ['uid-nobody'] } }).expect(400);

    // Exec: read-only tokens are refused although it is a GET; a plain GET is not an upgrade.
    const server = await listen(app);
    try {
      const refused = await execWs(server.url, readOnlyAdmin.token, id, ['true']);
      expect(refused.status).toBe(403);
      await app.api.get(`/api/v1/apps/${id}/exec`).set(bearer(token)).expect(400);
      expect((await execWs(server.url, token, 'no-such-app', ['true'])).status).toBe(404);
    } finally {
      await server.close();
    }
    await app.api.post(`/api/v1/apps/${id}/uninstall`).set(bearer(token)).expect(202);
    await waitGone(id);
  });

  it('keeps an icon and serves it', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const res = await install({ manifest: testManifest('web:1'), location: 'icon', icon: png.toString('base64') }).expect(202);
    const got = await app.api.get(`/api/v1/apps/${res.body.id}`).set(bearer(token)).expect(200);
    expect(got.body.iconUrl).toBe(`/api/v1/apps/${res.body.id}/icon`);
    const icon = await app.api.get(`/api/v1/apps/${res.body.id}/icon`).set(bearer(token)).expect(200);
    expect(icon.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(icon.body, png)).toBe(0);
    await app.api.post(`/api/v1/apps/${res.body.id}/configure/icon`).set(bearer(token)).send({ icon: null }).expect(200);
    await app.api.get(`/api/v1/apps/${res.body.id}/icon`).set(bearer(token)).expect(404);
    await waitForApp(app, token, res.body.id);
    await app.api.post(`/api/v1/apps/${res.body.id}/uninstall`).set(bearer(token)).expect(202);
    await waitGone(res.body.id);
  });

  /** Polls until the app is gone; an uninstall that failed ends the wait with its reason instead of a time-out. */
  const waitGone = async (id: string) => {
    for (;;) {
      const res = await app.api.get(`/api/v1/apps/${id}`).set(bearer(token));
      if (res.status === 404) return;
      if (res.body.installationState === 'error' && res.body.error?.installationState === 'pending_uninstall') throw new Error(`uninstall failed: ${res.body.error.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
});
