import { activate, bearer, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, addDomain, fetchApp, removeEngineObjects, testDocker, testManifest, waitForApp } from '../helpers/apps';
import { docker, startRegistry, type TestRegistry } from '../helpers/registry';

jest.setTimeout(120_000);

/** An image the engine does not have is pulled from a real registry, with the layers' progress in the task. */
describe('apps whose image is in a registry', () => {
  let app: TestApp;
  let token: string;
  let registry: TestRegistry;
  let image: string;
  beforeAll(async () => {
    registry = await startRegistry();
    image = `${registry.address}/berth-test/pulled:1`;
    // One layer of our own on top of the web image, so the pull really downloads something.
    await docker(['build', '-q', '-t', image, '-'], 'FROM berth-test/web:1\nRUN head -c 3000000 /dev/urandom > /www/blob\n');
    await docker(['push', image]);
    await docker(['rmi', image]);
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    await addDomain(app, token, 'registry.test');
  });
  afterAll(async () => {
    await removeEngineObjects(app);
    await app.close();
    await docker(['rmi', image]).catch(() => undefined);
    await registry.stop();
  });

  const install = (dockerImage: string, location: string) => app.api.post('/api/v1/apps/install').set(bearer(token))
    .send({ manifest: testManifest('web:1', { dockerImage }), location, domain: 'registry.test', accessRestriction: null })
    .expect(202);

  it('pulls the missing image, reporting its layers, and runs it', async () => {
    const res = await install(image, 'pulled');
    expect(await waitForTask(app, token, res.body.taskId)).toMatchObject({ success: true });
    expect(await waitForApp(app, token, res.body.id)).toMatchObject({ installationState: 'installed', health: 'healthy' });
    const log = await app.api.get(`/api/v1/tasks/${res.body.taskId}/logs`).set(bearer(token)).expect(200);
    expect(log.text).toMatch(new RegExp(`Downloading image ${image.replace(/[.]/g, '\\.')}: 1 layers, 3 of 3 MB`));
    expect((await testDocker().getImage(image).inspect()).RepoTags).toContain(image);
    expect((await fetchApp(app, res.body.id, '/blob')).status).toBe(200);
  });

  it('fails the install with the registry\'s reason when it does not have the image', async () => {
    const missing = `${registry.address}/berth-test/nothing:1`;
    const res = await install(missing, 'nothing');
    const task = await waitForTask(app, token, res.body.taskId);
    expect(task).toMatchObject({ success: false, error: { message: expect.stringMatching(new RegExp(`^Image ${missing.replace(/[.]/g, '\\.')} is not on the Docker engine and could not be pulled \\(.*(not found|unknown).*\\)`)) } });
    expect(await waitForApp(app, token, res.body.id)).toMatchObject({ installationState: 'error' });
  });
});
