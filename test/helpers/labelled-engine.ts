import Docker from 'dockerode';
import { createLogger } from '../../services/core/logger';
import { LabelWatcher } from '../../services/docker/label-watcher';
import type { LabelledContainer } from '../../services/scheduler/label-jobs';
import { testDocker } from './engine';

/** The local image every labelled test container runs (no registry is reachable): see scripts/build-images.sh. */
export const TEST_IMAGE = 'berth/busybox:1';
/** What the official Ofelia images carry (their Dockerfiles' LABEL lines), given to containers standing in for them. */
export const OFELIA_IMAGE_LABELS = { 'ofelia.service': 'true', 'ofelia.enabled': 'true' };
/** Marks this run's containers: the engine is shared, and the watcher sees every labelled container on it. */
const GROUP_LABEL = 'berth-test.label-group';

/**
 * Real containers with Ofelia labels on the test engine, and a LabelWatcher following them: tests create
 * containers in a group, wait until the watcher's latest set holds the group as they expect, and remove it.
 */
export class LabelledEngine {
  readonly docker: Docker = testDocker();
  /** The set the watcher last handed over. */
  latest: LabelledContainer[] = [];
  readonly streams: Array<NodeJS.ReadableStream & { destroyed?: boolean }> = [];
  readonly watcher: LabelWatcher;
  private readonly created = new Set<string>();
  /** Names this run's containers and groups; a second LabelledEngine given it sees the same groups. */
  readonly run: string;

  /**
   * `run` shares another LabelledEngine's groups; `socketPath` points the watcher (not the container calls) at
   * another socket, a SocketProxy's; the retry waits are the watcher's backoff.
   */
  constructor(options: { run?: string; socketPath?: string; retryMinMs?: number; retryMaxMs?: number } = {}) {
    this.run = options.run ?? `lbl${process.pid.toString(36)}${Date.now().toString(36)}`;
    const docker = options.socketPath ? new Docker({ socketPath: options.socketPath }) : this.docker;
    this.watcher = new LabelWatcher({
      // The real engine, with the streams kept so a test can see stop() close them.
      docker: {
        listContainers: (options) => docker.listContainers(options),
        getEvents: async (options) => {
          const stream = await docker.getEvents(options);
          this.streams.push(stream);
          return stream;
        },
      },
      logger: createLogger('error'),
      onChange: (set) => {
        this.latest = set;
      },
      debounceMs: 50,
      retryMinMs: options.retryMinMs,
      retryMaxMs: options.retryMaxMs,
    });
  }

  /** Creates and starts a container (`sleep`, so exec jobs have a running target) with these labels in a group. */
  async add(group: string, name: string, labels: Record<string, string>, start = true): Promise<string> {
    const container = await this.docker.createContainer({
      name,
      Image: TEST_IMAGE,
      Cmd: ['sleep', '3600'],
      Labels: { ...labels, [GROUP_LABEL]: `${this.run}-${group}` },
    });
    this.created.add(container.id);
    if (start) await container.start();
    return container.id;
  }

  async remove(id: string): Promise<void> {
    await this.docker.getContainer(id).remove({ force: true });
    this.created.delete(id);
  }

  /** The group's containers in the watcher's latest set. */
  group(group: string): LabelledContainer[] {
    return this.latest.filter((c) => c.labels[GROUP_LABEL] === `${this.run}-${group}`);
  }

  /** Waits (polling, with a deadline) until the group's containers in the watcher's set satisfy `ready`. */
  async waitFor(group: string, what: string, ready: (set: LabelledContainer[]) => boolean, deadlineMs = 20_000): Promise<LabelledContainer[]> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const set = this.group(group);
      if (ready(set)) return set;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; group ${group} is ${JSON.stringify(set)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops the watcher and removes every container this run created. */
  async close(): Promise<void> {
    await this.watcher.stop();
    for (const id of this.created) await this.docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    this.created.clear();
  }
}
