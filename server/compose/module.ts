import type { ScheduledTask } from 'node-cron';
import type { TaskHandler } from '../../services/tasks/task-handler';

/**
 * What a module hands the workers part (`workers.ts`) besides its services: the run functions of the task types it
 * added to the catalogue, and what runs on the clock in processes with workers. `workers.ts` binds them all, so a
 * new module wires its tasks and crons here and nowhere else.
 */
export interface WorkerParts {
  /** One per task type the module added to the catalogue (start-up fails on a type without one). */
  handlers: TaskHandler[];
  /** Clock-driven jobs (node-cron), started only when `schedules` is on; stopped at close. */
  crons?: Array<() => ScheduledTask>;
  /** Loops every process with workers runs (health monitors…), started after the runner, stopped first. */
  loops?: Array<{ start(): void; stop(): Promise<void> }>;
  /** Once at start in processes with workers, after the runner started (catching up on what happened while down). */
  atStart?: Array<() => Promise<void>>;
}
