import type { ContainerState, ExecSession, LogLine, LogOptions } from '../apps/app-runtime';
import type { PlatformRef, PlatformSpec } from './platform-spec';

/**
 * Containers that are not apps: what a module runs for itself (a tenant's mail server, addon databases, scheduler
 * jobs). Beside `AppRuntime`, which is keyed by app id; the Docker implementation is
 * services/docker/docker-platform-containers.ts. Every container carries Berth's labels plus
 * `io.berth.platform=<module>`, so the app reconciler and fsck leave it alone and tenant deletion finds it.
 * Every method is safe to call again.
 */
export interface PlatformContainers {
  /**
   * Converges on the spec: creates the container when missing, replaces it when its spec hash differs, and starts
   * it when it is not running. A one-shot job calls it once, then reads `state` and `logs`, then `remove`s it.
   */
  ensure(spec: PlatformSpec): Promise<EnsureResult>;
  /** Removes the container (its volumes stay: they are the module's data). */
  remove(ref: PlatformRef): Promise<void>;
  /** Removes every platform container of the tenant and their volumes, for every module or only `module`'s. */
  removeAll(instanceId: string, module?: string): Promise<void>;
  /** Platform containers of one tenant, or of every tenant. */
  list(instanceId?: string): Promise<PlatformContainer[]>;
  /** The container's state, or undefined when there is none. */
  state(ref: PlatformRef): Promise<PlatformState | undefined>;
  /** Its log lines (none when there is no container). */
  logs(ref: PlatformRef, options: LogOptions): AsyncIterable<LogLine>;
  /** Runs a command in it (409 when there is no container). */
  exec(ref: PlatformRef, options: { cmd: string[]; tty: boolean }): Promise<ExecSession>;
}

export interface EnsureResult {
  id: string;
  /** What ensure had to do: nothing, make it, replace it (the spec changed) or start it. */
  action: 'unchanged' | 'created' | 'replaced' | 'started';
}

export interface PlatformContainer {
  id: string;
  module: string;
  name: string;
  instanceId: string;
  /** created, running, exited, … as the engine says. */
  status: string;
  specHash: string | undefined;
}

/** As an app container's: running, status, exit code, OOM flag, the spec hash on it, when it started. */
export type PlatformState = ContainerState;
