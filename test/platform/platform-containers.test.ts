import { startTestApp, until, type TestApp } from '../helpers/app';
import { testDocker } from '../helpers/engine';
import { collectExec } from '../helpers/platform';
import type { PlatformRef, PlatformSpec } from '../../services/platform/platform-spec';
import type { LogLine } from '../../services/apps/app-runtime';

jest.setTimeout(120_000);

/** Platform containers (services/platform/) on the real Docker engine: converge, replace, logs, exec, remove. */
describe('platform containers', () => {
  let app: TestApp;
  let instanceId: string;
  let spec: PlatformSpec;
  beforeAll(async () => {
    app = await startTestApp();
    [instanceId] = await app.berth.store.instances.ids();
    spec = {
      module: 'testmod',
      name: 'server',
      instanceId,
      image: 'berth/busybox:1',
      env: { GREETING: 'hello' },
      cmd: ['sh', '-c', 'echo started $GREETING; echo oops >&2; exec sleep 100000'],
      volumes: [{ name: 'data', path: '/data' }],
      network: 'tenant',
      labels: { 'io.example.extra': 'yes' },
    };
  });
  afterAll(async () => {
    await app.berth.platform.removeAll(instanceId);
    await app.close();
  });

  const lines = async (options = {}, ref: PlatformRef = spec) => {
    const found: LogLine[] = [];
    for await (const line of app.berth.platform.logs(ref, options)) found.push(line);
    return found;
  };

  it('creates a container once, labelled, on the tenant network, and leaves it be while the spec holds', async () => {
    const created = await app.berth.platform.ensure(spec);
    expect(created.action).toBe('created');
    // The same spec in another key order is the same spec.
    const reordered = { ...spec, labels: { ...spec.labels }, env: { ...spec.env } };
    expect(await app.berth.platform.ensure(reordered)).toEqual({ id: created.id, action: 'unchanged' });

    const info = await testDocker().getContainer(created.id).inspect();
    expect(info.Name).toBe(`/berth-p-testmod-server-${instanceId}`);
    expect(info.Config.Labels).toMatchObject({
      'io.berth.managed': '1',
      'io.berth.instance': instanceId,
      'io.berth.platform': 'testmod',
      'io.berth.platform-name': 'server',
      'io.berth.spec-hash': expect.stringMatching(/^[0-9a-f]{32}$/),
      'io.example.extra': 'yes',
    });
    expect(info.Config.Labels['io.berth.app']).toBeUndefined();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`berth-${instanceId}`]);
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(await app.berth.platform.state(spec)).toMatchObject({ id: created.id, running: true, status: 'running' });
    expect(await app.berth.platform.list(instanceId)).toEqual([
      { id: created.id, module: 'testmod', name: 'server', instanceId, status: 'running', specHash: info.Config.Labels['io.berth.spec-hash'] },
    ]);

    // A stopped container is started again, the same one.
    await testDocker().getContainer(created.id).stop({ t: 0 });
    expect(await app.berth.platform.ensure(spec)).toEqual({ id: created.id, action: 'started' });
    expect((await app.berth.platform.state(spec))?.running).toBe(true);
  });

  it('runs commands in it and reads its logs', async () => {
    const wrote = await collectExec(await app.berth.platform.exec(spec, { cmd: ['sh', '-c', 'echo kept > /data/file; echo to-err >&2; exit 3'], tty: false }));
    expect(wrote).toEqual({ stdout: '', stderr: 'to-err\n', code: 3 });
    const read = await collectExec(await app.berth.platform.exec(spec, { cmd: ['cat', '/data/file'], tty: false }));
    expect(read).toEqual({ stdout: 'kept\n', stderr: '', code: 0 });

    const logs = await until(() => lines(), (found) => found.length >= 2);
    expect(logs).toEqual(expect.arrayContaining([
      { time: expect.any(Number), stream: 'stdout', message: 'started hello' },
      { time: expect.any(Number), stream: 'stderr', message: 'oops' },
    ]));
    expect((await lines({ tail: 1 })).length).toBe(1);
  });

  it('replaces the container when the spec changes, keeping its volumes', async () => {
    const before = await app.berth.platform.state(spec);
    spec = { ...spec, env: { GREETING: 'again' } };
    const replaced = await app.berth.platform.ensure(spec);
    expect(replaced.action).toBe('replaced');
    expect(replaced.id).not.toBe(before?.id);
    expect(await app.berth.platform.list(instanceId)).toHaveLength(1);
    await until(() => lines(), (found) => found.some((l) => l.message === 'started again'));
    expect((await collectExec(await app.berth.platform.exec(spec, { cmd: ['cat', '/data/file'], tty: false }))).stdout).toBe('kept\n');
  });

  it('runs a job without a network that stays exited, then removes it', async () => {
    const job: PlatformSpec = { module: 'testmod', name: 'job-1', instanceId, image: 'berth/busybox:1', cmd: ['sh', '-c', 'echo done; exit 4'], network: 'none', restart: 'no' };
    await app.berth.platform.ensure(job);
    const ended = await until(() => app.berth.platform.state(job), (state) => state?.status === 'exited');
    expect(ended).toMatchObject({ running: false, exitCode: 4 });
    expect((await lines({}, job)).map((l) => l.message)).toEqual(['done']);
    const jobInfo = await testDocker().getContainer(ended!.id).inspect();
    expect(jobInfo.HostConfig.NetworkMode).toBe('none');

    await app.berth.platform.remove(job);
    await app.berth.platform.remove(job);
    expect(await app.berth.platform.state(job)).toBeUndefined();
    expect(await lines({}, job)).toEqual([]);
    await expect(app.berth.platform.exec(job, { cmd: ['true'], tty: false })).rejects.toMatchObject({ status: 409 });
  });

  it('removes every container of a tenant and their volumes', async () => {
    await app.berth.platform.ensure({ ...spec, module: 'othermod' });
    expect(await app.berth.platform.list(instanceId)).toHaveLength(2);
    await app.berth.platform.removeAll(instanceId, 'othermod');
    expect((await app.berth.platform.list(instanceId)).map((c) => c.module)).toEqual(['testmod']);

    await app.berth.platform.removeAll(instanceId);
    expect(await app.berth.platform.list(instanceId)).toEqual([]);
    const volumes = await testDocker().listVolumes({ filters: { label: [`io.berth.instance=${instanceId}`, 'io.berth.platform'] } });
    expect(volumes.Volumes ?? []).toEqual([]);
  });

  it('refuses names the engine or the labels could not carry', async () => {
    await expect(app.berth.platform.ensure({ ...spec, name: 'Bad Name' })).rejects.toThrow(/name "Bad Name"/);
    await expect(app.berth.platform.ensure({ ...spec, volumes: [{ name: '../x', path: '/x' }] })).rejects.toThrow(/volume name/);
  });
});
