/**
 * What the apps service needs from a container engine. The dockerode implementation is
 * services/docker/docker-runtime.ts; every method is safe to call again (teardown by label, create-if-missing).
 */
export interface AppRuntime {
  /** Throws a 503 BerthError (code DOCKER_UNAVAILABLE) when the engine does not answer. */
  ping(): Promise<void>;
  /** Makes the image present: a local one is used as is, otherwise it is pulled (progress per layer). */
  ensureImage(image: string, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<void>;
  /** The tenant's own bridge network, created on first use; returns its id. */
  ensureNetwork(instanceId: string): Promise<string>;
  /** Re-applies the host's isolation of every tenant network (its rules do not survive a reboot). */
  isolateNetworks(): Promise<void>;
  /** Removes the tenant's network (when the tenant goes). */
  removeNetwork(instanceId: string): Promise<void>;
  /** A tar stream of a path inside the app's container (running or not), e.g. its data for an export. */
  archive(appId: string, path: string): Promise<NodeJS.ReadableStream | undefined>;
  /**
   * Unpacks a tar stream into a volume: a throwaway container of `image` (never started) mounts the volume at
   * `mountPath`, the tar goes to `extractTo`, and the container is removed. For restoring an app's data.
   */
  fillVolume(options: { volume: string; image: string; mountPath: string; extractTo: string; labels: Record<string, string> }, tar: NodeJS.ReadableStream): Promise<void>;
  /**
   * The reverse of fillVolume: a tar stream of `path` (inside `mountPath`, where a never-started container of
   * `image` mounts the volume) is piped into `sink`, then the container is removed. For the restore drill.
   */
  readVolume(options: { volume: string; image: string; mountPath: string; path: string; labels: Record<string, string> }, sink: NodeJS.WritableStream): Promise<void>;
  /** Creates the named volume, or finds it (creating an existing volume is a no-op in the engine). */
  ensureVolume(name: string, labels: Record<string, string>): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /** Bytes the tenant's volumes (its apps' data) take on disk, as the engine measures them. */
  volumesSize(instanceId: string): Promise<number>;
  /** The app's container (found by label), or undefined. */
  inspect(appId: string): Promise<ContainerState | undefined>;
  /** One container by id (one engine call instead of a label search). */
  inspectById(containerId: string): Promise<ContainerState | undefined>;
  create(spec: ContainerSpec): Promise<string>;
  start(containerId: string): Promise<void>;
  stop(containerId: string): Promise<void>;
  restart(containerId: string): Promise<void>;
  /**
   * `no` while an app starts, so a crash leaves the container exited with its real exit code (and OOM flag) for
   * the task to report; `unless-stopped` once it is healthy, so the engine restarts it after crashes and reboots.
   */
  setRestartPolicy(containerId: string, policy: 'no' | 'unless-stopped'): Promise<void>;
  /** Removes every container labelled with the app's id. */
  removeContainers(appId: string): Promise<void>;
  logs(appId: string, options: LogOptions): AsyncIterable<LogLine>;
  exec(appId: string, options: { cmd: string[]; tty: boolean }): Promise<ExecSession>;
  /** Every container carrying Berth's labels, for reconciliation. */
  listManaged(): Promise<ManagedContainer[]>;
  removeContainer(containerId: string): Promise<void>;
}

export interface ContainerSpec {
  name: string;
  image: string;
  env: string[];
  labels: Record<string, string>;
  memoryLimit: number;
  networkId: string;
  /** Host port on 127.0.0.1 that the app's HTTP port is published on. */
  http: { containerPort: number; hostPort: number };
  ports: Array<{ containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }>;
  volume: { name: string; mountPath: string } | null;
}

export interface ContainerState {
  id: string;
  running: boolean;
  restarting: boolean;
  /** created, running, restarting, exited, dead, … as the engine says. */
  status: string;
  exitCode: number;
  oomKilled: boolean;
  /** The hash Berth put on the container when it created it: a different one means the spec changed. */
  specHash: string | undefined;
  startedAt: string;
}

export interface ManagedContainer {
  id: string;
  name: string;
  appId: string;
  instanceId: string;
  status: string;
  /** Set on a module's platform container (services/platform/): the module. Such a container is never an app's. */
  platform?: string;
}

export interface LogOptions {
  /** Only the last N lines (all when omitted). */
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

export interface LogLine {
  /** Milliseconds since the epoch, from the engine's timestamp. */
  time: number;
  stream: 'stdout' | 'stderr';
  message: string;
}

export interface ExecSession {
  tty: boolean;
  /** Output as it arrives: stream 1 is stdout, 2 is stderr (with a tty everything is 1). */
  onOutput(listener: (stream: 1 | 2, data: Buffer) => void): void;
  /** The command's output has ended (it exited, or the connection dropped). */
  onEnd(listener: () => void): void;
  write(data: Buffer): void;
  /** Closes the command's stdin. */
  endInput(): void;
  /** Drops the connection to the command (the client went away). */
  close(): void;
  resize(rows: number, cols: number): Promise<void>;
  /** The command's exit code, once it has ended. */
  exitCode(): Promise<number>;
}

/** Labels on everything Berth creates in the engine. */
export const LABELS = {
  managed: 'io.berth.managed',
  instance: 'io.berth.instance',
  app: 'io.berth.app',
  fqdn: 'io.berth.fqdn',
  specHash: 'io.berth.spec-hash',
  /** On platform containers and their volumes (services/platform/): the module that runs them. */
  platform: 'io.berth.platform',
} as const;

/** A container of an app's, not a module's platform container: the only kind the reconciler and fsck judge. */
export const isAppContainer = (container: ManagedContainer) => !container.platform;
