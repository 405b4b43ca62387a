import { PassThrough, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { createLogger } from '../../services/core/logger';
import { LabelWatcher, type LabelEngine } from '../../services/docker/label-watcher';
import type { LabelledContainer } from '../../services/scheduler/label-jobs';

/**
 * The watcher's own rules (debounce, reconnect with backoff, resync, stop) against a fake engine whose event
 * stream the test ends and whose availability it switches; test/scheduler/label-examples.test.ts runs it on the
 * real engine.
 */
class FakeEngine implements LabelEngine {
  readonly containers = new Map<string, Docker.ContainerInfo>();
  readonly streams: PassThrough[] = [];
  down = false;
  lists = 0;
  /** How many more lists show the state from before the last change (the engine's list lags its events). */
  stale = 0;
  private before: Docker.ContainerInfo[] = [];

  /** From now, the next `lists` lists show the containers as they are now. */
  lagBy(lists: number): void {
    this.before = [...this.containers.values()].map((c) => ({ ...c }));
    this.stale = lists;
  }

  add(id: string, labels: Record<string, string>, state = 'running'): void {
    this.containers.set(id, { Id: id, Names: [`/${id}-name`], Labels: labels, State: state } as Docker.ContainerInfo);
  }

  async listContainers(options: { all: boolean; filters: { label: string[] } }): Promise<Docker.ContainerInfo[]> {
    this.lists++;
    if (this.down) throw new Error('connect ENOENT /run/docker.sock');
    expect(options).toEqual({ all: true, filters: { label: ['ofelia.enabled=true'] } });
    if (this.stale > 0) {
      this.stale--;
      return this.before;
    }
    return [...this.containers.values()].filter((c) => c.Labels['ofelia.enabled'] === 'true');
  }

  async getEvents(options: Docker.GetEventsOptions): Promise<NodeJS.ReadableStream> {
    if (this.down) throw new Error('connect ENOENT /run/docker.sock');
    expect(options.filters).toMatchObject({ type: ['container'], label: ['ofelia.enabled=true'] });
    const stream = new PassThrough();
    this.streams.push(stream);
    return stream;
  }

  /** An event on the newest stream, as the engine writes it: one JSON object per line. */
  event(action: string, id: string): void {
    this.streams[this.streams.length - 1].write(`${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id } })}\n`);
  }
}

async function until<T>(what: string, probe: () => T | undefined, deadlineMs = 5000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(onChange?: (set: LabelledContainer[]) => void | Promise<void>) {
  const engine = new FakeEngine();
  const calls: LabelledContainer[][] = [];
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(String(chunk))), done()) });
  const watcher = new LabelWatcher({
    docker: engine,
    logger: createLogger('info', sink),
    onChange: async (set) => {
      calls.push(set);
      await onChange?.(set);
    },
    debounceMs: 30,
    retryMinMs: 20,
    retryMaxMs: 80,
  });
  return { engine, calls, logs, watcher };
}

const ids = (set: LabelledContainer[]) => set.map((c) => c.id);

describe('LabelWatcher', () => {
  it('hands over the whole set at start and again after events, once per burst', async () => {
    const { engine, calls, watcher } = setup();
    engine.add('a', { 'ofelia.enabled': 'true', 'ofelia.job-exec.x.schedule': '@daily' });
    engine.add('b', { 'ofelia.enabled': 'true' }, 'exited');
    engine.add('c', { 'ofelia.enabled': 'false' });
    await watcher.start();
    expect(calls).toEqual([
      [
        { id: 'a', name: 'a-name', running: true, labels: { 'ofelia.enabled': 'true', 'ofelia.job-exec.x.schedule': '@daily' } },
        { id: 'b', name: 'b-name', running: false, labels: { 'ofelia.enabled': 'true' } },
      ],
    ]);

    engine.add('d', { 'ofelia.enabled': 'true' });
    engine.containers.delete('a');
    engine.event('create', 'd');
    engine.event('start', 'd');
    engine.event('destroy', 'a');
    await until('the second set', () => calls.length === 2);
    expect(ids(calls[1])).toEqual(['b', 'd']);

    // An event that changes nothing in the set reads the list but calls no one.
    const lists = engine.lists;
    engine.event('update', 'd');
    await until('the list read again', () => engine.lists > lists);
    await watcher.stop();
    expect(calls).toHaveLength(2);
  });

  it('reconnects with a doubling wait when the stream ends, and reads the list again', async () => {
    const { engine, calls, logs, watcher } = setup();
    engine.add('a', { 'ofelia.enabled': 'true' });
    await watcher.start();
    expect(calls).toHaveLength(1);

    // The engine restarts: its stream ends, and it refuses connections for a while.
    engine.down = true;
    engine.streams[0].end();
    await until('three failed reconnects', () => logs.filter((l) => l.retryInMs !== undefined).length >= 4);
    expect(logs.slice(0, 4).map((l) => l.retryInMs)).toEqual([20, 40, 80, 80]);
    expect(logs[0].msg).toMatch(/lost the Docker event stream/);

    // A container came while the engine was away: the resync after the reconnect sees it without an event.
    engine.add('b', { 'ofelia.enabled': 'true' });
    engine.down = false;
    await until('the set after the reconnect', () => calls.length === 2);
    expect(ids(calls[1])).toEqual(['a', 'b']);

    // The stream after the reconnect is followed like the first.
    const stream = await until('a new stream', () => (engine.streams.length >= 2 ? engine.streams[engine.streams.length - 1] : undefined));
    engine.containers.delete('a');
    engine.event('destroy', 'a');
    await until('the set after an event on the new stream', () => calls.length === 3);
    expect(ids(calls[2])).toEqual(['b']);

    // An error on the stream is a lost stream too.
    stream.destroy(new Error('socket hang up'));
    await until('another stream', () => engine.streams.length >= 3 && engine.streams[engine.streams.length - 1] !== stream);
    await watcher.stop();
  });

  it('reads the list again while it lags what the events said', async () => {
    const { engine, calls, watcher } = setup();
    engine.add('a', { 'ofelia.enabled': 'true' });
    await watcher.start();
    engine.lagBy(3);
    engine.containers.get('a')!.State = 'exited';
    // The event arrives in two chunks, split inside its JSON.
    const line = `${JSON.stringify({ status: 'die', id: 'a', Type: 'container', Action: 'die', Actor: { ID: 'a' } })}\n`;
    engine.streams[0].write(line.slice(0, 20));
    engine.streams[0].write(line.slice(20));
    await until('the stopped container', () => calls.length === 2);
    expect(calls[1]).toEqual([expect.objectContaining({ id: 'a', running: false })]);
    expect(engine.stale).toBe(0);
    await watcher.stop();
  });

  it('starts with the engine away, and hands over the set once it is back', async () => {
    const { engine, calls, watcher } = setup();
    engine.down = true;
    engine.add('a', { 'ofelia.enabled': 'true' });
    await watcher.start();
    expect(calls).toEqual([]);
    engine.down = false;
    await until('the first set', () => calls.length === 1);
    expect(ids(calls[0])).toEqual(['a']);
    await watcher.stop();
  });

  it('logs a failing onChange and hands the set over again on the next event, never two calls at once', async () => {
    let fail = true;
    let inFlight = 0;
    let overlapped = false;
    const { engine, calls, logs, watcher } = setup(async () => {
      overlapped ||= inFlight > 0;
      inFlight++;
      await new Promise((r) => setTimeout(r, 40));
      inFlight--;
      if (fail) throw new Error('database is locked');
    });
    engine.add('a', { 'ofelia.enabled': 'true' });
    await watcher.start();
    expect(logs.map((l) => l.msg)).toEqual(['scheduler: applying the labelled containers failed']);
    fail = false;
    engine.event('start', 'a');
    await until('the same set again', () => calls.length === 2);
    expect(calls[1]).toEqual(calls[0]);
    for (let i = 0; i < 5; i++) {
      engine.add(`n${i}`, { 'ofelia.enabled': 'true' });
      engine.event('create', `n${i}`);
      await new Promise((r) => setTimeout(r, 35));
    }
    await until('the last set', () => calls.length > 2 && calls[calls.length - 1].length === 6);
    expect(overlapped).toBe(false);
    await watcher.stop();
  });

  it('stop() closes the stream and leaves no timer behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const { engine, calls, watcher } = setup();
    await watcher.start();
    engine.event('create', 'x');
    engine.down = true;
    await watcher.stop();
    expect(engine.streams[0].destroyed).toBe(true);
    expect(timers()).toBe(before);
    // Nothing is called after stop, even for an event that was on its way.
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toHaveLength(1);
  });
});
