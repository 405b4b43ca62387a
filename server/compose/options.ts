import type { LoginThrottleLimits } from '../../services/auth/login-throttle';
import type { Clock } from '../../services/core/clock';
import type { Logger } from '../../services/core/logger';
import type { ReaperTiming } from '../../workers/task-reaper';
import type { RunnerTiming } from '../../workers/task-runner';

export interface ComposeOptions {
  /** Where Redis is: REDIS_URL, or the supervised private server's socket. */
  redisUrl: string;
  logger?: Logger;
  clock?: Clock;
  /** PostgreSQL schema (tests give each file its own). */
  dbSchema?: string;
  loginLimits?: LoginThrottleLimits;
  /** Run task workers, the reaper and task retention in this process (`berth serve`, `berth worker`). */
  workers?: boolean;
  /**
   * With workers: run the clock-driven schedules too (automatic backups every ten minutes, certificate renewal
   * daily). Default true; tests turn it off and drive the schedules themselves, so a ten-minute mark cannot start
   * a cleanup in the middle of a test.
   */
  schedules?: boolean;
  runnerTiming?: RunnerTiming;
  reaperTiming?: ReaperTiming;
}
