/** The scheduler's settings (BERTH_SCHEDULER_*), read with the rest of the configuration (config.ts). */
export interface SchedulerConfig {
  /** An Ofelia INI file, or a glob in its last part (`/etc/ofelia/conf.d/*.ini`): the operator's jobs. */
  configPath: string | undefined;
  /** How often processes with workers look at the INI file for changes (netresearch polls every 10 s). */
  reloadSecs: number;
  /** A fire found later than this (every process was down) is recorded as missed instead of run. */
  graceSecs: number;
  /** How often each process with workers looks for due jobs. */
  tickMs: number;
  /** Fires one process takes at once in a tick (each its own transaction). */
  clockParallel: number;
  /** Executions running at once across every process (BullMQ's global concurrency); Ofelia's default is 10. */
  maxConcurrent: number;
  /** Tenants' webhooks may reach private and loopback addresses (BERTH_SCHEDULER_WEBHOOK_ALLOW_PRIVATE=1). */
  webhookAllowPrivate: boolean;
  /** BERTH_TEST_JOB_RUNTIME=noop (with BERTH_TEST_TASKS=1): executions run nothing, for the bench and clock tests. */
  testRuntime: 'noop' | undefined;
}

type Env = Record<string, string | undefined>;

export function schedulerConfig(env: Env, positiveInt: (env: Env, name: string, fallback: number) => number): SchedulerConfig {
  return {
    configPath: env.BERTH_SCHEDULER_CONFIG?.trim() || undefined,
    reloadSecs: positiveInt(env, 'BERTH_SCHEDULER_RELOAD_SECS', 10),
    graceSecs: positiveInt(env, 'BERTH_SCHEDULER_GRACE_SECS', 60),
    tickMs: positiveInt(env, 'BERTH_SCHEDULER_TICK_MS', 250),
    clockParallel: positiveInt(env, 'BERTH_SCHEDULER_CLOCK_PARALLEL', 4),
    maxConcurrent: positiveInt(env, 'BERTH_SCHEDULER_MAX_CONCURRENT', 10),
    webhookAllowPrivate: env.BERTH_SCHEDULER_WEBHOOK_ALLOW_PRIVATE === '1',
    testRuntime: env.BERTH_TEST_TASKS === '1' && env.BERTH_TEST_JOB_RUNTIME === 'noop' ? 'noop' : undefined,
  };
}
