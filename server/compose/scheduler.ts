import { APP_TASK_TYPE } from '../../services/apps/app-tasks';
import { createRedis } from '../../services/queue/redis';
import { LabelWatcher } from '../../services/docker/label-watcher';
import { AppJobs } from '../../services/scheduler/app-jobs';
import { LabelSource } from '../../services/scheduler/label-source';
import { ConfigFile } from '../../services/scheduler/config-file';
import { JobClock } from '../../services/scheduler/job-clock';
import { JobExecutions } from '../../services/scheduler/job-executions';
import { JobWebhook } from '../../services/scheduler/job-webhook';
import { JobOverview } from '../../services/scheduler/job-overview';
import { DockerJobRuntime } from '../../services/docker/docker-job-runtime';
import { NOOP_JOB_RUNTIME } from '../../services/scheduler/noop-runtime';
import { JobService } from '../../services/scheduler/job-service';
import { JobSources } from '../../services/scheduler/job-sources';
import { JobTimes } from '../../services/scheduler/job-times';
import { SchedulerControl } from '../../services/scheduler/scheduler-control';
import { SchedulerEvents } from '../../services/scheduler/scheduler-events';
import { SchedulerSettings } from '../../services/scheduler/scheduler-settings';
import { RUN_JOB_TASK_TYPE, SCHEDULER_TASK_TYPES } from '../../services/scheduler/scheduler-tasks';
import { configWatchLoop, jobClockLoop, schedulerTaskHandlers } from '../../workers/scheduler-tasks';
import { appSchedules } from './app-schedules';
import { closeRedis, type Core } from './core';
import type { Identity } from './identity';
import type { WorkerParts } from './module';
import type { Platform } from './platform';
import type { Tasks } from './tasks';

export type Scheduler = ReturnType<typeof composeScheduler>;

/**
 * The Ofelia-compatible scheduler: jobs from the API, the INI file, container labels and app manifests; each
 * execution a `scheduler.run` task. Processes with workers tick the job clock and watch the INI file (with
 * `schedules` on; tests drive the clock themselves) and read the file once at start.
 */
export function composeScheduler(
  { config, options, store, redis, docker, clock, logger }: Core,
  { eventlog, notifications }: Identity,
  { types, tasks, queue }: Tasks,
  { runtime: appRuntime }: Platform,
) {
  // BERTH_TEST_JOB_RUNTIME=noop: executions run nothing (the bench, clock tests across processes).
  const runtime = config.scheduler.testRuntime === 'noop' ? NOOP_JOB_RUNTIME : new DockerJobRuntime(docker, appRuntime);
  const subscriber = createRedis(options.redisUrl, { enableOfflineQueue: true });
  subscriber.on('error', () => undefined);
  const events = new SchedulerEvents({ publisher: redis, subscriber, logger, prefix: config.redisPrefix });
  events.start();
  const times = new JobTimes({ settings: store.settings });
  const jobs = new JobService({ jobs: store.jobs, executions: store.executions, runtime, times, events, eventlog, clock });
  const control = new SchedulerControl({ settings: store.settings, jobs: store.jobs, executions: store.executions, events, eventlog, clock, startedAt: clock() });
  const sources = new JobSources({ jobs: store.jobs, instances: store.instances, times, events, clock, logger });
  const configFile = new ConfigFile({ pattern: config.scheduler.configPath, sources, env: process.env, logger });
  const settings = new SchedulerSettings({ settings: store.settings, eventlog, fileGlobals: () => configFile.global(), operatorTenant: () => sources.operatorTenant() });
  const webhook = new JobWebhook({
    globals: (instanceId) => settings.stored(instanceId),
    allowPrivate: config.scheduler.webhookAllowPrivate,
    logger,
  });
  const executions = new JobExecutions({ jobs: store.jobs, executions: store.executions, tasks, runtime, events, notifications, webhook, clock, logger });
  const jobClock = new JobClock({
    jobs: store.jobs, transactor: store, times, executions, control, clock, logger, queueReady: () => queue.isAvailable(),
    options: { graceMs: config.scheduler.graceSecs * 1000, batch: 500, parallel: config.scheduler.clockParallel },
  });
  const appJobs = new AppJobs({ apps: appSchedules(store.apps), sources });
  const labels = new LabelSource({ sources, logger });
  const labelWatcher = new LabelWatcher({ docker, logger, onChange: (containers) => labels.apply(containers).then(() => undefined) });
  types.add(...SCHEDULER_TASK_TYPES).onSettled(RUN_JOB_TASK_TYPE, (settled) => executions.settled(settled));
  // An app's scheduler addon follows its manifest: whatever the app's task did (install, update, uninstall…).
  types.onSettled(APP_TASK_TYPE, async ({ args }) => void (await appJobs.sync(args.appId)));

  // The cap lives in Redis (BullMQ's queue meta): set it once Redis answers, again after it comes back.
  const limitExecutions = (): Promise<void> =>
    queue.limitGlobally(RUN_JOB_TASK_TYPE.name, config.scheduler.maxConcurrent).catch(() => {
      redis.once('ready', () => void limitExecutions());
    });
  const scheduled = options.schedules !== false;
  const workers: WorkerParts = {
    handlers: schedulerTaskHandlers(executions),
    loops: scheduled
      ? [
          jobClockLoop(jobClock, config.scheduler.tickMs, logger),
          ...(configFile.configured ? [configWatchLoop(configFile, config.scheduler.reloadSecs * 1000, logger)] : []),
          { start: () => void labelWatcher.start(), stop: () => labelWatcher.stop() },
        ]
      : [],
    atStart: [
      limitExecutions,
      () => appJobs.syncAll(),
      ...(scheduled ? [() => configFile.reload().then(() => jobClock.startup())] : []),
    ],
  };
  return {
    schedulerJobs: jobs,
    schedulerExecutions: executions,
    schedulerControl: control,
    schedulerSources: sources,
    schedulerAppJobs: appJobs,
    schedulerLabels: labels,
    schedulerConfig: configFile,
    schedulerSettings: settings,
    schedulerOverview: new JobOverview({ jobs: store.jobs, executions: store.executions }),
    schedulerEvents: events,
    jobClock,
    schedulerTimes: times,
    workers,
    async close() {
      await closeRedis(subscriber);
    },
  };
}
