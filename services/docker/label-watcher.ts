import type Docker from 'dockerode';
import type { Logger } from '../core/logger';
import { ENABLED_LABEL, type LabelledContainer } from '../scheduler/label-jobs';
import { EventExpectations } from './event-expectations';

/** The two engine calls the watcher makes: a dockerode client satisfies it, and so can a test's fake engine. */
export interface LabelEngine {
  listContainers(options: { all: boolean; filters: { label: string[] } }): Promise<Docker.ContainerInfo[]>;
  getEvents(options: Docker.GetEventsOptions): Promise<NodeJS.ReadableStream>;
}

export interface LabelWatcherDeps {
  docker: LabelEngine;
  logger: Logger;
  /** The full current set of `ofelia.enabled=true` containers (stopped ones too: job-run may start them). */
  onChange: (containers: LabelledContainer[]) => void | Promise<void>;
  /** How long events are gathered before the list is read again (ms). */
  debounceMs?: number;
  /** The first and the longest wait before reconnecting to an engine that went away (ms); doubles in between. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

const ENABLED_FILTER = `${ENABLED_LABEL}=true`;
/** What can change a container's labels (a recreate is destroy + create), its name or whether it runs. */
const EVENTS = ['create', 'start', 'die', 'destroy', 'rename', 'update', 'pause', 'unpause'];

type EventStream = NodeJS.ReadableStream & { destroy?: () => void };

/** How many times, and after how long first (doubling), a list that lags the events is read again. */
const RECHECKS = 5;
const RECHECK_FIRST_MS = 50;

/**
 * Finds the containers labelled `ofelia.enabled=true` on the engine and keeps the set current from the engine's
 * event stream, so labelled containers added, recreated with other labels or removed change jobs without a restart
 * (Ofelia upstream reads labels once, at start).
 *
 * An event is only a hint: after one, the whole list is read again and `onChange` gets the whole set, so a missed
 * or reordered event cannot leave a stale job, and after a reconnect (the engine restarted, the stream ended or
 * failed) the list is read again for whatever happened while the stream was down. The engine's list can lag its
 * events (a container still `running` just after its `die`), so a list that does not yet show what the events said
 * is read again a few times (`EventExpectations`). `onChange` is called once at
 * start and then whenever the set differs from the last one it took without throwing; calls never overlap.
 * An engine that is away at start is logged and retried with backoff: the scheduler's other jobs run meanwhile.
 */
export class LabelWatcher {
  private readonly debounceMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private retryMs: number;
  private stopped = true;
  private stream?: EventStream;
  private debounceTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private recheckTimer?: NodeJS.Timeout;
  private rechecks = 0;
  private readonly expectations = new EventExpectations();
  /** The sync running now (or settled), which the next one waits for, so onChange calls never overlap. */
  private current: Promise<void> = Promise.resolve();
  /** A sync queued behind `current` and not started yet: a change seen now will be in its list too. */
  private queued?: Promise<void>;
  /** The set last handed to onChange, canonical, to skip calls that would change nothing. */
  private delivered?: string;

  constructor(private readonly deps: LabelWatcherDeps) {
    this.debounceMs = deps.debounceMs ?? 200;
    this.retryMinMs = deps.retryMinMs ?? 500;
    this.retryMaxMs = deps.retryMaxMs ?? 30_000;
    this.retryMs = this.retryMinMs;
  }

  /** Resolves once the first list was handed to onChange, or once the first try failed (and retries are set). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.connect();
  }

  /** Closes the stream and the timers, and waits for a sync in flight; onChange is not called after it resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.debounceTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.recheckTimer);
    this.debounceTimer = this.retryTimer = this.recheckTimer = undefined;
    this.dropStream();
    await this.current;
  }

  /** Opens the event stream first and lists after, so a change made between the two is not lost. */
  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    try {
      const stream = (await this.deps.docker.getEvents({
        filters: { type: ['container'], event: EVENTS, label: [ENABLED_FILTER] },
      })) as EventStream;
      if (this.stopped) {
        closeStream(stream);
        return;
      }
      this.expectations.clear();
      this.follow(stream);
      await this.sync();
      this.retryMs = this.retryMinMs;
    } catch (err) {
      this.lost(err);
    }
  }

  private follow(stream: EventStream): void {
    this.stream = stream;
    // The filter lets through only events of labelled containers, so any data is a reason to look again.
    stream.on('data', (chunk: Buffer | string) => {
      this.expectations.feed(String(chunk));
      this.soon();
    });
    const gone = (err?: unknown) => {
      if (this.stream === stream) this.lost(err ?? new Error('the engine closed its event stream'));
    };
    stream.on('error', gone);
    stream.on('end', () => gone());
    stream.on('close', () => gone());
  }

  /** The stream or a list failed: drop the stream and reconnect after a wait that doubles up to the maximum. */
  private lost(err: unknown): void {
    this.dropStream();
    if (this.stopped || this.retryTimer) return;
    this.deps.logger.warn(
      { err: err instanceof Error ? err.message : String(err), retryInMs: this.retryMs },
      'scheduler: lost the Docker event stream of labelled containers; reconnecting',
    );
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, this.retryMaxMs);
  }

  private dropStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) closeStream(stream);
  }

  /** Reads the list within debounceMs of the first event of a burst (not of the last: a busy engine never waits). */
  private soon(): void {
    if (this.stopped || this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.sync().catch((err: unknown) => this.lost(err));
    }, this.debounceMs);
  }

  private sync(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.current.then(() => {
      this.queued = undefined;
      return this.syncOnce();
    });
    this.queued = run;
    this.current = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(): Promise<void> {
    if (this.stopped) return;
    const list = await this.deps.docker.listContainers({ all: true, filters: { label: [ENABLED_FILTER] } });
    if (this.stopped) return;
    this.recheckIfStale(list);
    const containers = list.map(toLabelled).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const key = JSON.stringify(containers);
    if (key === this.delivered) return;
    try {
      await this.deps.onChange(containers);
      this.delivered = key;
    } catch (err) {
      // The receiver's failure is not the engine's: keep the stream, and hand the set over again on the next event.
      this.deps.logger.error({ err }, 'scheduler: applying the labelled containers failed');
    }
  }

  /** Reads the list again soon when it does not yet show what the events said, a few times, then gives up. */
  private recheckIfStale(list: Docker.ContainerInfo[]): void {
    if (this.expectations.settle(list)) {
      this.rechecks = 0;
      return;
    }
    if (this.recheckTimer) return;
    if (this.rechecks >= RECHECKS) {
      this.deps.logger.debug('scheduler: the container list still lags the engine\'s events; taking it as it is');
      this.expectations.clear();
      this.rechecks = 0;
      return;
    }
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      this.sync().catch((err: unknown) => this.lost(err));
    }, RECHECK_FIRST_MS * 2 ** this.rechecks++);
  }
}

function toLabelled(info: Docker.ContainerInfo): LabelledContainer {
  // Names holds `/name`, plus `/other/alias` for each legacy link to it: the own name has one slash.
  const name = info.Names.find((n) => n.lastIndexOf('/') === 0) ?? info.Names[0] ?? info.Id;
  return { id: info.Id, name: name.replace(/^\//, ''), labels: { ...(info.Labels ?? {}) }, running: info.State === 'running' };
}

function closeStream(stream: EventStream): void {
  // An error after destroy (the socket torn down mid-read) must not become an unhandled 'error' event.
  stream.on('error', () => undefined);
  stream.destroy?.();
}
