import type { AppPublisher } from '../apps/app-publisher';
import type { WellKnownPublisher } from '../domains/well-known-publisher';

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

/** No reverse proxy: apps and the dashboard are reached on their own ports, and nothing is published. */
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
