import { TaskCatalogue } from '../../services/tasks/task-catalogue';
import { TaskEvents } from '../../services/tasks/task-events';
import { TaskService } from '../../services/tasks/task-service';
import { TEST_TASK_TYPES } from '../../services/tasks/test-tasks';
import { createRedis } from '../../services/queue/redis';
import { TaskQueue } from '../../services/queue/task-queue';
import { testTaskHandlers } from '../../workers/test-handlers';
import { closeRedis, type Core } from './core';
import type { WorkerParts } from './module';

export type Tasks = ReturnType<typeof composeTasks>;

/**
 * The task service, built before any module: a service that starts tasks needs only it and the catalogue, which
 * each module fills with its own types (and settle hooks) as it is composed. The handlers come last, in workers.ts.
 */
export function composeTasks({ config, options, redis, store, clock, logger }: Core) {
  const types = new TaskCatalogue({ logger });
  const subscriber = createRedis(options.redisUrl, { enableOfflineQueue: true });
  subscriber.on('error', () => undefined);
  const events = new TaskEvents({ publisher: redis, subscriber, logger, prefix: config.redisPrefix });
  events.start();
  const queue = new TaskQueue(redis, config.redisPrefix);
  const tasks = new TaskService({ tasks: store.tasks, catalogue: types, queue, events, clock });
  // BERTH_TEST_TASKS: the types the crash and timing tests run.
  if (config.testTasks) types.add(...TEST_TASK_TYPES);
  const workers: WorkerParts = { handlers: config.testTasks ? testTaskHandlers() : [] };
  return {
    types,
    tasks,
    queue,
    events,
    workers,
    async close() {
      await queue.close();
      await closeRedis(subscriber);
    },
  };
}
