import { activate, bearer, startTestApp, until, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, installAndWait, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(120_000);

/**
 * Cloudron's `scheduler` addon on a real engine: an app's manifest jobs become exec jobs in its container when it
 * installs, follow its manifest on update, and go when it is uninstalled; the API may disable them, not delete them.
 */
describe("apps' scheduler addon", () => {
  let app: TestApp;
  let token: string;
  let instanceId: string;

  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(() => app.close());

  const jobs = () => app.berth.scheduler.schedulerJobs.list(instanceId);

  it('refuses a scheduler addon without a command, naming the field', async () => {
    const manifest = testManifest('web:1', { addons: { scheduler: { nightly: { schedule: '0 3 * * *' } } } });
    const res = await app.api.post('/api/v1/domains').set(bearer(token)).send({ domain: 'cron.test', provider: 'noop', config: {} });
    expect([201, 409]).toContain(res.status);
    const install = await app.api.post('/api/v1/apps/install').set(bearer(token)).send({ manifest, location: 'bad', domain: 'cron.test', accessRestriction: null }).expect(400);
    expect(install.body.message).toMatch(/manifest\.addons\.scheduler\.nightly\.command is required/);
  });

  it('makes, changes and removes the jobs with the app', async () => {
    const manifest = testManifest('web:1', { addons: { localstorage: {}, scheduler: { tick: { schedule: '*/5 * * * *', command: 'date' } } } });
    const { id } = await installAndWait(app, token, { manifest, location: 'cron', domain: 'cron.test' });
    // The jobs follow the app's task through its settle hook, which runs just after the task row is final.
    expect(await until(jobs, (list) => list.length === 1)).toEqual([
      expect.objectContaining({ name: `${id}.tick`, type: 'exec', origin: 'manifest', sourceKey: id, operator: false, spec: expect.objectContaining({ schedule: '*/5 * * * *', command: 'date', container: `berth-app-${id}` }) }),
    ]);

    const next = { ...manifest, version: '1.0.1', addons: { localstorage: {}, scheduler: { tick: { schedule: '@hourly', command: 'date -u' }, tock: { schedule: '@daily', command: 'true' } } } };
    const update = await app.api.post(`/api/v1/apps/${id}/update`).set(bearer(token)).send({ manifest: next }).expect(202);
    await waitForTask(app, token, update.body.taskId);
    await waitForApp(app, token, id);
    const updated = await until(jobs, (list) => list.length === 2);
    expect(updated.map((j) => [j.name, j.spec.schedule, j.spec.command])).toEqual([
      [`${id}.tick`, '@hourly', 'date -u'],
      [`${id}.tock`, '@daily', 'true'],
    ]);

    const actor = { instanceId, userId: null, tokenId: null, ip: null };
    await expect(app.berth.scheduler.schedulerJobs.delete(actor, `${id}.tick`)).rejects.toMatchObject({ status: 403, message: expect.stringContaining(`the manifest of app ${id}`) });
    expect((await app.berth.scheduler.schedulerJobs.toggle(actor, `${id}.tick`)).enabled).toBe(false);

    const uninstall = await app.api.post(`/api/v1/apps/${id}/uninstall`).set(bearer(token)).expect(202);
    await waitForTask(app, token, uninstall.body.taskId);
    expect(await until(jobs, (list) => list.length === 0)).toEqual([]);
  });
});
