import { jobsFromLabels, type LabelledContainer } from '../../services/scheduler/label-jobs';
import { LabelledEngine } from '../helpers/labelled-engine';
import { SocketProxy } from '../helpers/socket-proxy';

/**
 * LabelWatcher on the real engine: containers added, recreated with other labels (Docker cannot change a
 * container's labels), stopped and removed change the set it hands over, with no restart; it reconnects when the
 * engine goes away (through a socket proxy taken down and brought back) and reads the list again; stop() closes
 * its event stream and leaves no timer.
 */
let engine: LabelledEngine;

beforeAll(() => {
  engine = new LabelledEngine();
});

afterAll(async () => {
  await engine.close();
});

const jobNames = (set: LabelledContainer[]) => set.flatMap((c) => jobsFromLabels(c).jobs.map((j) => `${j.name}@${j.container}`)).sort();

describe('LabelWatcher on the real engine', () => {
  it('follows containers added, recreated with other labels, stopped and removed', async () => {
    const name = `${engine.run}-web`;
    const other = `${engine.run}-unlabelled`;
    await engine.add('live', other, { 'ofelia.job-exec.never.schedule': '@daily' });
    await engine.watcher.start();
    expect(engine.group('live')).toEqual([]);

    const first = await engine.add('live', name, {
      'ofelia.enabled': 'true',
      'ofelia.job-exec.backup.schedule': '@daily',
      'ofelia.job-exec.backup.command': 'echo backup',
    });
    const added = await engine.waitFor('live', 'the labelled container', (set) => set.length === 1 && set[0].running);
    expect(added[0]).toMatchObject({ id: first, name });
    expect(jobNames(added)).toEqual([`${name}.backup@${name}`]);

    // A relabel is a recreate: the same name, a new container with other labels.
    await engine.remove(first);
    const second = await engine.add('live', name, {
      'ofelia.enabled': 'true',
      'ofelia.job-exec.vacuum.schedule': '@hourly',
      'ofelia.job-run.report.schedule': '@weekly',
    });
    const relabelled = await engine.waitFor('live', 'the recreated container', (set) => set.length === 1 && set[0].id === second && set[0].running);
    expect(jobNames(relabelled)).toEqual([`${name}.vacuum@${name}`, `report@${name}`]);

    // Stopped: the container stays in the set (job-run may start it), and its exec job goes.
    await engine.docker.getContainer(second).kill();
    const stopped = await engine.waitFor('live', 'the stopped container', (set) => set.length === 1 && !set[0].running);
    expect(jobNames(stopped)).toEqual([`report@${name}`]);

    // A container created stopped is in the set too, as Ofelia's include-stopped discovery has it.
    const idle = await engine.add('live', `${engine.run}-idle`, { 'ofelia.enabled': 'true', 'ofelia.job-run.wake.schedule': '@daily' }, false);
    await engine.waitFor('live', 'the container created stopped', (set) => set.some((c) => c.id === idle && !c.running));

    await engine.remove(second);
    await engine.remove(idle);
    await engine.waitFor('live', 'an empty group', (set) => set.length === 0);
  });

  it('reconnects when the engine goes away and comes back, and reads the whole list again', async () => {
    const engineSocket = new URL(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').pathname;
    const proxy = new SocketProxy(`/tmp/berth-label-watcher-${process.pid}.sock`, engineSocket);
    await proxy.up();
    const watched = new LabelledEngine({ run: engine.run, socketPath: proxy.path, retryMinMs: 50, retryMaxMs: 400 });
    try {
      await watched.watcher.start();
      await engine.add('cut', `${engine.run}-before`, { 'ofelia.enabled': 'true' });
      await watched.waitFor('cut', 'the container made before the cut', (set) => set.length === 1);

      // The engine "restarts": the stream is cut, and a container is made while the watcher cannot listen.
      await proxy.down();
      const during = await engine.add('cut', `${engine.run}-during`, { 'ofelia.enabled': 'true' });
      await proxy.up();
      const set = await watched.waitFor('cut', 'the container made while away', (s) => s.some((c) => c.id === during));
      expect(set).toHaveLength(2);
      expect(watched.streams.length).toBeGreaterThanOrEqual(2);
      expect(watched.streams[0].destroyed).toBe(true);

      // The new stream is followed: a later event changes the set.
      await engine.remove(during);
      await watched.waitFor('cut', 'the removal seen on the new stream', (s) => s.length === 1);
    } finally {
      await watched.watcher.stop();
      await proxy.down();
    }
  });

  it('stop() closes the event stream and leaves no timer; nothing is handed over after it', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await engine.watcher.start();
    const stream = engine.streams[engine.streams.length - 1];
    await engine.watcher.stop();
    expect(stream.destroyed).toBe(true);
    expect(timers()).toBeLessThanOrEqual(before);

    // A second watcher, listening while the first is stopped, shows when an event would have reached it.
    const seen = engine.latest;
    const probe = new LabelledEngine({ run: engine.run });
    await probe.watcher.start();
    await engine.add('after', `${engine.run}-late`, { 'ofelia.enabled': 'true' });
    await probe.waitFor('after', 'the late container, seen by the listening watcher', (set) => set.length === 1);
    await probe.watcher.stop();
    expect(engine.latest).toBe(seen);
  });
});
