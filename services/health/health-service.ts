/** A dependency Berth needs to be ready: the database, Redis, the Docker engine. */
export interface Probe {
  name: string;
  check(): Promise<void>;
}

/**
 * Something an operator should see in the readiness report that does not make the process unready: a load
 * balancer must keep sending traffic to a box whose backups are late.
 */
export interface Report {
  name: string;
  state(): Promise<string>;
}

export interface Readiness {
  ready: boolean;
  /** Per dependency: `connected` or `unavailable`. */
  checks: Record<string, 'connected' | 'unavailable'>;
  /** Per report: its state, or `unknown` when it could not be worked out in time. */
  reports: Record<string, string>;
}

const PROBE_TIMEOUT_MS = 2000;

export class HealthService {
  constructor(private readonly deps: { probes: Probe[]; reports?: Report[]; clock: () => Date }) {}

  liveness() {
    return { status: 'healthy', timestamp: this.deps.clock().toISOString() };
  }

  async readiness(): Promise<Readiness> {
    const results = await Promise.all(
      this.deps.probes.map(async (probe) => [probe.name, (await settle(probe.check())) ? 'connected' : 'unavailable'] as const),
    );
    const checks = Object.fromEntries(results);
    const reports = Object.fromEntries(
      await Promise.all((this.deps.reports ?? []).map(async (report) => {
        let state = 'unknown';
        await settle(report.state().then((s) => void (state = s)));
        return [report.name, state] as const;
      })),
    );
    return { ready: results.every(([, state]) => state === 'connected'), checks, reports };
  }
}

/** True when the check passed within the timeout. */
async function settle(check: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
