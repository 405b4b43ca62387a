import { FairShare } from '../../services/tasks/fair-share';
import { redisOptions } from '../../services/queue/redis';
import { buildTaskHandlers } from '../../workers/handlers';
import { scheduleRetention } from '../../workers/retention';
import { TaskReaper } from '../../workers/task-reaper';
import { TaskRunner } from '../../workers/task-runner';
import type { Core } from './core';
import type { Identity } from './identity';
import type { WorkerParts } from './module';
import type { Tasks } from './tasks';

export type Workers = ReturnType<typeof composeWorkers>;

/**
 * Binds every module's run functions to the catalogue (start-up fails on a type without one, in every process), and
 * in processes with workers starts the runner, the reaper, task retention, the modules' loops and, with schedules,
 * their crons. `close` stops them in the reverse order, draining running tasks for up to the grace period.
 */
export function composeWorkers({ config, options, store, clock, logger }: Core, { eventlog }: Identity, { types, tasks, queue, events }: Tasks, modules: WorkerParts[]) {
  const handlers = buildTaskHandlers(types, modules.flatMap((m) => m.handlers), {
    testTasks: config.testTasks, crashAt: config.testCrashAt, concurrency: config.taskConcurrency,
  });
  if (!options.workers) return { runner: undefined, reaper: undefined, close: async () => undefined };

  const taskDeps = { tasks: store.tasks, catalogue: types, queue, events, clock, logger };
  const runner = new TaskRunner({
    ...taskDeps,
    handlers,
    connection: redisOptions(options.redisUrl),
    prefix: config.redisPrefix,
    timing: options.runnerTiming ?? { heartbeatMs: config.taskHeartbeatMs, flushMs: 250 },
    fairShare: new FairShare({ tasks: store.tasks, instances: store.instances, share: config.tenantTaskShare, clock }),
  });
  const reaper = new TaskReaper({
    ...taskDeps,
    timing: options.reaperTiming ?? { staleAfterMs: config.taskStaleMs, intervalMs: Math.ceil(config.taskStaleMs / 3) },
  });
  runner.start();
  reaper.start();
  const retention = scheduleRetention({
    tasks,
    eventlog,
    clock,
    logger,
    days: { tasks: config.taskRetentionDays, events: config.eventRetentionDays, loginEvents: config.loginEventRetentionDays },
  });
  const crons = options.schedules !== false ? modules.flatMap((m) => m.crons ?? []).map((start) => start()) : [];
  const loops = modules.flatMap((m) => m.loops ?? []);
  for (const loop of loops) loop.start();
  for (const atStart of modules.flatMap((m) => m.atStart ?? [])) {
    // Catching up is best-effort: a start that fails (Redis or the engine away, the process closing) is logged,
    // never an unhandled rejection that takes the process down.
    atStart().catch((err) => logger.warn({ err: (err as Error).message }, 'a start-up catch-up failed'));
  }

  return {
    runner,
    reaper,
    async close() {
      // Loops first, then the runner (running tasks can still write while they drain), then the clocks.
      for (const loop of loops) await loop.stop();
      await runner.stop(config.shutdownGraceSecs * 1000);
      await reaper.stop();
      await retention.stop();
      for (const cron of crons) await cron.stop();
    },
  };
}
