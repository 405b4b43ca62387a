import { DockerJobRuntime } from '../../services/docker/docker-job-runtime';
import { DockerRuntime } from '../../services/docker/docker-runtime';
import { removeTenantObjects, testDocker } from '../helpers/engine';
import { BUSYBOX, eventually, job, newTenant, rejection, testIo } from '../helpers/scheduler-jobs';

jest.setTimeout(120_000);

/** run and service-run jobs on the real engine: new containers, `docker start` of existing ones, and scope. */
describe('container jobs', () => {
  const docker = testDocker();
  const runtime = new DockerJobRuntime(docker, new DockerRuntime(docker));
  const tenant = { instanceId: newTenant(), operator: false };
  const other = { instanceId: newTenant(), operator: false };
  const operator = { instanceId: tenant.instanceId, operator: true };
  const opNetwork = `sched-net-${tenant.instanceId}`;
  const ownVolume = `sched-vol-${tenant.instanceId}`;
  const otherVolume = `sched-vol-${other.instanceId}`;

  beforeAll(async () => {
    await docker.createNetwork({ Name: opNetwork, Driver: 'bridge', Labels: { 'io.berth.test': 'scheduler' } });
    await docker.createVolume({ Name: ownVolume, Labels: { 'io.berth.managed': '1', 'io.berth.instance': tenant.instanceId } });
    await docker.createVolume({ Name: otherVolume, Labels: { 'io.berth.managed': '1', 'io.berth.instance': other.instanceId } });
    // The other tenant's network exists, so naming it is refused for ownership, not absence.
    await new DockerRuntime(docker).ensureNetwork(other.instanceId);
  });
  afterAll(async () => {
    await removeTenantObjects([tenant.instanceId, other.instanceId]);
    await docker.getNetwork(opNetwork).remove().catch(() => undefined);
  });

  const containersOf = (name: string) => docker.listContainers({ all: true, filters: { label: [`ofelia.job.name=${name}`] } });

  it('runs a new container on the tenant\'s network, collects its output and removes it', async () => {
    const spec = job('run', { image: BUSYBOX, command: `sh -c 'echo "$FOO"; hostname; pwd; echo err >&2; exit 4'`, environment: ['FOO=a b'], hostname: 'jobhost', workingDir: '/tmp' });
    await runtime.check(tenant, spec);
    const io = testIo();
    const result = await runtime.run(tenant, spec, io);
    expect(result.exitCode).toBe(4);
    expect(result.output.split('\n').sort()).toEqual(['', '/tmp', 'a b', 'err', 'jobhost']);
    expect(io.lines.sort()).toEqual(['/tmp', 'a b', 'err', 'jobhost']);
    expect(await containersOf(spec.name)).toEqual([]);
  });

  it('keeps the container when delete=false, labelled as the plan says', async () => {
    const spec = job('run', { image: BUSYBOX, command: 'echo kept', delete: false, annotations: ['team=ops', 'io.berth.instance=forged'] });
    expect(await runtime.run(tenant, spec, testIo())).toEqual({ exitCode: 0, output: 'kept\n', truncated: false });
    const [kept] = await containersOf(spec.name);
    expect(kept.Names[0]).toMatch(new RegExp(`^/berth-job-${spec.name}-[0-9a-f]{8}$`));
    expect(kept.Labels).toMatchObject({
      'io.berth.managed': '1',
      'io.berth.instance': tenant.instanceId,
      'io.berth.platform': 'scheduler',
      'ofelia.job.name': spec.name,
      'ofelia.job.type': 'run',
      team: 'ops',
    });
    expect(Object.keys(kept.NetworkSettings.Networks)).toEqual([`berth-${tenant.instanceId}`]);
  });

  it('kills and removes the container when stopped', async () => {
    const spec = job('run', { image: BUSYBOX, command: 'sleep 3021' });
    const io = testIo();
    const outcome = runtime.run(tenant, spec, io).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await eventually(() => containersOf(spec.name), (found) => found[0]?.State === 'running');
    io.controller.abort(new Error('stopped by the test'));
    expect(await outcome).toBe('stopped by the test');
    await eventually(() => containersOf(spec.name), (found) => found.length === 0);
  });

  it('refuses an image the engine lacks and cannot pull, naming it', async () => {
    const spec = job('run', { image: 'berth-test/no-such-image:1', command: 'true' });
    const checked = await rejection(runtime.check(tenant, spec));
    expect(checked).toMatchObject({ code: 'DOCKER_ERROR', status: 400 });
    expect(checked.message).toMatch(/berth-test\/no-such-image:1 is not on the Docker engine and could not be pulled/);
    expect(await rejection(runtime.run(tenant, spec, testIo()))).toMatchObject({ code: 'DOCKER_ERROR', status: 400 });
  });

  it('turns an engine refusal into DOCKER_ERROR and removes the container unless it is kept', async () => {
    for (const keep of [true, false]) {
      const spec = job('run', { image: BUSYBOX, command: 'true', user: 'nosuchuser', ...(keep ? { delete: false } : {}) });
      const err = await rejection(runtime.run(tenant, spec, testIo()));
      expect(err).toMatchObject({ code: 'DOCKER_ERROR', status: 400, message: expect.stringMatching(/nosuchuser/) });
      expect(await containersOf(spec.name)).toHaveLength(keep ? 1 : 0);
    }
  });

  it('starts an existing container when the job has no image, waits for it and keeps it', async () => {
    const name = `berth-app-start-${tenant.instanceId}`;
    const labels = { 'io.berth.managed': '1', 'io.berth.instance': tenant.instanceId };
    await docker.createContainer({ name, Image: BUSYBOX, Cmd: ['sh', '-c', 'echo started; exit 2'], Labels: labels });
    const spec = job('run', { container: name });
    await runtime.check(tenant, spec);
    expect(await runtime.run(tenant, spec, testIo())).toEqual({ exitCode: 2, output: 'started\n', truncated: false });
    // Ofelia starts the same container on every run.
    expect(await runtime.run(tenant, spec, testIo())).toMatchObject({ exitCode: 2, output: 'started\n' });
    expect((await docker.getContainer(name).inspect()).State.Status).toBe('exited');

    const sleeper = `berth-app-sleeper-${tenant.instanceId}`;
    await docker.createContainer({ name: sleeper, Image: BUSYBOX, Cmd: ['sleep', '3022'], Labels: labels });
    const io = testIo();
    const outcome = runtime.run(tenant, job('run', { container: sleeper }), io).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await eventually(() => docker.getContainer(sleeper).inspect(), (info) => info.State.Running);
    expect(await rejection(runtime.run(tenant, job('run', { container: sleeper }), testIo()))).toMatchObject({ code: 'DOCKER_ERROR', message: expect.stringMatching(/already running/) });
    io.controller.abort(new Error('stopped by the test'));
    expect(await outcome).toBe('stopped by the test');
    expect((await docker.getContainer(sleeper).inspect()).State.Running).toBe(false);

    // Another tenant cannot start it.
    expect(await rejection(runtime.check(other, spec))).toMatchObject({ code: 'NOT_FOUND', message: `No container named ${name}` });
  });

  it('runs a service-run job on the named network, which must exist and be the scope\'s', async () => {
    const spec = job('service-run', { image: BUSYBOX, network: opNetwork, command: 'echo on the network', delete: false });
    expect(await runtime.run(operator, spec, testIo())).toMatchObject({ exitCode: 0, output: 'on the network\n' });
    const [kept] = await containersOf(spec.name);
    expect(Object.keys(kept.NetworkSettings.Networks)).toEqual([opNetwork]);

    const missing = await rejection(runtime.check(operator, job('service-run', { image: BUSYBOX, network: 'no-such-network' })));
    expect(missing).toMatchObject({ code: 'DOCKER_ERROR', status: 400, message: 'The network no-such-network does not exist' });
    for (const network of [opNetwork, `berth-${other.instanceId}`]) {
      const err = await rejection(runtime.check(tenant, job('service-run', { image: BUSYBOX, network })));
      expect(err).toMatchObject({ code: 'DOCKER_ERROR', status: 400, message: `The network ${network} does not exist` });
    }
    const own = job('service-run', { image: BUSYBOX, network: `berth-${tenant.instanceId}`, command: 'echo own' });
    expect(await runtime.run(tenant, own, testIo())).toMatchObject({ exitCode: 0, output: 'own\n' });
    expect(await rejection(runtime.check(operator, job('service-run', { network: opNetwork })))).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'image' } });
  });

  it('keeps a tenant to its own volumes, no host paths, no privileges, no local', async () => {
    const write = job('run', { image: BUSYBOX, volume: [`${ownVolume}:/data`], command: "sh -c 'echo kept > /data/file'" });
    expect((await runtime.run(tenant, write, testIo())).exitCode).toBe(0);
    const read = job('run', { image: BUSYBOX, volume: [`${ownVolume}:/data:ro`], command: 'cat /data/file' });
    expect((await runtime.run(tenant, read, testIo())).output).toBe('kept\n');

    const hostPath = await rejection(runtime.check(tenant, job('run', { image: BUSYBOX, volume: ['/etc:/host-etc:ro'] })));
    expect(hostPath).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    await expect(runtime.run(tenant, job('run', { image: BUSYBOX, volume: ['/etc:/host-etc:ro'] }), testIo())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    for (const volume of [otherVolume, 'no-such-volume']) {
      const err = await rejection(runtime.check(tenant, job('run', { image: BUSYBOX, volume: [`${volume}:/data`] })));
      expect(err).toMatchObject({ code: 'NOT_FOUND', status: 404, message: `No volume named ${volume}` });
    }
    expect(await rejection(runtime.check(tenant, job('run', { image: BUSYBOX, privileged: true })))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await rejection(runtime.check(tenant, job('local', { command: 'true' })))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    await expect(runtime.run(tenant, job('local', { command: 'true' }), testIo())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await rejection(runtime.check(tenant, job('run', { image: BUSYBOX, containerName: 'berth-app-x' })))).toMatchObject({ code: 'VALIDATION_ERROR' });

    // The operator may mount host paths.
    const hostRead = job('run', { image: BUSYBOX, volume: ['/etc:/host-etc:ro'], command: 'test -d /host-etc' });
    expect((await runtime.run(operator, hostRead, testIo())).exitCode).toBe(0);
  });
});
