import { randomBytes } from 'node:crypto';
import { activate, bearer, startTestApp, until, type TestApp } from '../helpers/app';
import { testDocker } from '../helpers/engine';
import { TEST_IMAGE } from '../helpers/labelled-engine';

jest.setTimeout(120_000);

/**
 * Labels as a job source in a real Berth with its schedules on (the watcher runs in processes with workers): a
 * labelled container on the engine becomes an operator job in the API without a reload, cannot be deleted through
 * the API, and its job goes when the container goes.
 */
describe('jobs from container labels', () => {
  let app: TestApp;
  let token: string;
  const docker = testDocker();
  const name = `berth-labelsrc-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    app = await startTestApp({ workers: true, schedules: true });
    token = (await activate(app)).token;
  });
  afterAll(async () => {
    await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
    await app.close();
  });

  const jobs = async () => (await app.api.get('/api/jobs').set(bearer(token)).expect(200)).body.jobs as Array<{ name: string; origin: string; command: string }>;

  it('follows a labelled container as it comes and goes', async () => {
    const container = await docker.createContainer({
      name,
      Image: TEST_IMAGE,
      Cmd: ['sleep', '3600'],
      Labels: { 'ofelia.enabled': 'true', 'ofelia.job-exec.tick.schedule': '@every 1h', 'ofelia.job-exec.tick.command': 'date', 'ofelia.job-local.host.command': 'id' },
    });
    await container.start();
    const listed = await until(jobs, (list) => list.some((j) => j.name === `${name}.tick`));
    expect(listed.find((j) => j.name === `${name}.tick`)).toMatchObject({ origin: 'docker-label', command: 'date' });
    // job-local from a label is refused: a container never runs commands on the host.
    expect(listed.some((j) => j.name.endsWith('.host') || j.name === 'host')).toBe(false);

    const refused = await app.api.delete(`/api/job/${name}.tick`).set(bearer(token)).expect(403);
    expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(`the labels of container ${name}`) });

    await container.remove({ force: true });
    await until(jobs, (list) => !list.some((j) => j.name === `${name}.tick`));
  });
});
