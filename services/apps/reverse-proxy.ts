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

/** The dashboard of one tenant at `fqdn` (`my.<domain>`), served like an app but proxied to Berth itself. */
export interface DashboardSite {
  instanceId: string;
  domain: string;
  fqdn: string;
}

export interface DashboardPublisher {
  /** False when there is no reverse proxy to publish to (the dashboard is reached on Berth's own port). */
  publishDashboard(site: DashboardSite, log?: (line: string) => void): Promise<boolean>;
  /** Takes the tenant's dashboard site back (tenant deletion). */
  unpublishDashboard(instanceId: string): Promise<void>;
}

export interface WellKnownPublisher {
  /**
   * Serves the domain's well-known documents at its bare name (`standalone`: in a site of their own, as no app is
   * installed there), or takes that site back (the domain is gone, has none, or an app serves them). False when
   * there is no reverse proxy.
   */
  publishWellKnown(instanceId: string, domain: string, standalone: boolean, log?: (line: string) => void): Promise<boolean>;
}

export class NoPublisher implements AppPublisher, DashboardPublisher, WellKnownPublisher {
  async publish(): Promise<void> {}
  async unpublish(): Promise<void> {}
  async publishDashboard(): Promise<boolean> {
    return false;
  }
  async publishWellKnown(): Promise<boolean> {
    return false;
  }
  async unpublishDashboard(): Promise<void> {}
}
