import { TaskRegistry } from '../services/tasks/task-registry';
import { TASK_TYPES } from '../services/tasks/task-types';
import { testTaskDefinitions } from './test-handlers';

/**
 * Every task handler, registered in one place. Production handlers join as their features arrive; start-up
 * fails when a type declared in TASK_TYPES has none.
 */
export function buildTaskRegistry(options: { testTasks: boolean; concurrency?: Record<string, number> }): TaskRegistry {
  const registry = new TaskRegistry();
  const definitions = options.testTasks ? testTaskDefinitions() : [];
  for (const definition of definitions) {
    registry.register({ ...definition, concurrency: options.concurrency?.[definition.type] ?? definition.concurrency });
  }
  registry.assertCovers(TASK_TYPES);
  return registry;
}
