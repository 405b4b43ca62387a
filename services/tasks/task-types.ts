/**
 * Every production task type Berth knows. Each needs a handler registered in workers/handlers.ts; start-up
 * fails otherwise. Types arrive with their features (app, backup, renewcerts, instanceDelete, …).
 */
export const TASK_TYPES: readonly string[] = ['app', 'instanceDelete', 'instanceExport', 'backup', 'cleanBackups', 'backupVerify', 'backupDrill', 'renewcerts', 'restore'];

/** Types that exist only when BERTH_TEST_TASKS=1, for tests and benchmarks. */
export const TEST_TASK_TYPES = ['_noop', '_sleep', '_exclusive', '_fail', '_crash', '_progress'] as const;
