/**
 * How a domain's well-known documents reach the reverse proxy. Domains own this interface (DomainSync calls it);
 * the proxy module implements it.
 */
export interface WellKnownPublisher {
  /**
   * Serves the domain's well-known documents at its bare name (`standalone`: in a site of their own, as no app is
   * installed there), or takes that site back (the domain is gone, has none, or an app serves them). False when
   * there is no reverse proxy.
   */
  publishWellKnown(instanceId: string, domain: string, standalone: boolean, log?: (line: string) => void): Promise<boolean>;
}
