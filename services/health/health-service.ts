/** A dependency Berth needs to be ready: the database, Redis, the Docker engine. */
export interface Probe {
  name: string;
  check(): Promise<void>;
}

export interface Readiness {
  ready: boolean;
  /** Per dependency: `connected` or `unavailable`. */
  checks: Record<string, 'connected' | 'unavailable'>;
}

const PROBE_TIMEOUT_MS = 2000;

export class HealthService {
  constructor(private readonly deps: { probes: Probe[]; clock: () => Date }) {}

  liveness() {
    return { status: 'healthy', timestamp: this.deps.clock().toISOString() };
  }

  async readiness(): Promise<Readiness> {
    const results = await Promise.all(
      this.deps.probes.map(async (probe) => [probe.name, (await settle(probe.check())) ? 'connected' : 'unavailable'] as const),
    );
    const checks = Object.fromEntries(results);
    return { ready: results.every(([, state]) => state === 'connected'), checks };
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
