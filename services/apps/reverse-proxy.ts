import type { App } from './app-repo';

/**
 * Where an installed app is handed to the reverse proxy, and taken back on uninstall. Berth routes by the
 * app's fqdn to 127.0.0.1:<httpPort>. The nginx implementation arrives with domains and certificates; until
 * then apps are reached on their loopback port (`httpPort` in the app JSON is not exposed: see docs/apps.md).
 */
export interface AppPublisher {
  /** `log`: lines for the task's log (e.g. why a name is served with the fallback certificate). */
  publish(app: App, log?: (line: string) => void): Promise<void>;
  unpublish(app: App): Promise<void>;
}

export class NoPublisher implements AppPublisher {
  async publish(): Promise<void> {}
  async unpublish(): Promise<void> {}
}
