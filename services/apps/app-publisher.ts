import type { App } from './app-repo';

/**
 * Where an installed app is handed to the reverse proxy, and taken back on uninstall. Berth routes by the
 * app's fqdn to 127.0.0.1:<httpPort>. Apps own this interface; the proxy module (`services/proxy/`) implements it
 * with nginx, or with `NoPublisher` when there is none (apps are then reached on their loopback port: see docs/apps.md).
 */
export interface AppPublisher {
  /** `log`: lines for the task's log (e.g. why a name is served with the fallback certificate). */
  publish(app: App, log?: (line: string) => void): Promise<void>;
  unpublish(app: App): Promise<void>;
}
