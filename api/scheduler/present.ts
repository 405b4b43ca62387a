import type { components } from '../../cli/generated/scheduler';
import type { Execution, JobMetrics } from '../../services/scheduler/execution-repo';
import type { StoredJob } from '../../services/scheduler/job-repo';
import { effectiveSchedule } from '../../services/scheduler/job-times';

type Schemas = components['schemas'];

/** Ofelia's Go API writes durations as nanoseconds (time.Duration); Berth keeps milliseconds. */
const NANOS_PER_MS = 1_000_000;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const UNFINISHED = new Set(['queued', 'running']);

/**
 * A job's seed status: `running` while an execution is queued or running (the run route already answers
 * `running` for a queued one, as Ofelia does), else how its last finished execution ended, null if it never ran.
 */
function jobStatus(job: StoredJob, active: boolean): Schemas['JobStatus'] {
  if (active) return 'running';
  return (job.lastStatus as Schemas['JobStatus']) ?? null;
}

/** A field the source did not set is left out, as the seed leaves `container` out of a run job. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export function presentJob(job: StoredJob, active: boolean): Schemas['Job'] {
  const { spec } = job;
  return {
    name: job.name,
    type: job.type,
    schedule: effectiveSchedule(job),
    ...defined({ command: spec.command, container: spec.container, image: spec.image }),
    lastRun: iso(job.lastRun),
    nextRun: iso(job.nextRun),
    status: jobStatus(job, active),
    origin: job.origin,
    enabled: job.enabled,
  };
}

export function presentJobConfig(job: StoredJob, active: boolean): Schemas['JobConfig'] {
  const { spec } = job;
  return {
    ...presentJob(job, active),
    user: spec.user ?? null,
    environment: spec.environment,
    tty: spec.tty ?? false,
    ...defined({
      workingDir: spec.workingDir,
      volume: spec.volume.length ? spec.volume : undefined,
      network: spec.network,
      noOverlap: spec.noOverlap,
      historyLimit: spec.historyLimit,
      runOnStartup: spec.runOnStartup,
      maxRetries: spec.maxRetries,
      maxRuntime: spec.maxRuntime,
      delete: spec.delete,
    }),
    scheduleOverridden: job.scheduleOverride !== null,
  };
}

export function presentJobDetail(job: StoredJob, history: Execution[], metrics: JobMetrics): Schemas['JobDetail'] {
  const active = history.some((execution) => UNFINISHED.has(execution.status));
  return {
    ...presentJobConfig(job, active),
    history: history.map(presentExecution),
    metrics: {
      totalRuns: metrics.totalRuns,
      successfulRuns: metrics.successfulRuns,
      failedRuns: metrics.failedRuns,
      averageDuration: Math.max(0, metrics.averageDurationMs) * NANOS_PER_MS,
      lastSuccess: iso(metrics.lastSuccess),
      lastFailure: iso(metrics.lastFailure),
    },
  };
}

/**
 * `startTime` is when it started, or when it was queued until then; an execution that ended without starting
 * (stopped while queued, skipped, missed) lasted 0.
 */
export function presentExecution(execution: Execution): Schemas['Execution'] {
  const started = execution.startedAt ?? execution.createdAt;
  return {
    executionId: execution.id,
    startTime: new Date(started).toISOString(),
    endTime: iso(execution.endedAt),
    duration: execution.endedAt === null ? null : Math.max(0, execution.endedAt - (execution.startedAt ?? execution.endedAt)) * NANOS_PER_MS,
    status: execution.status,
    output: execution.output,
    error: execution.error,
  };
}

export function presentExecutionDetail(execution: Execution): Schemas['ExecutionDetail'] {
  return {
    ...presentExecution(execution),
    job: execution.jobName,
    exitCode: execution.exitCode,
    trigger: execution.trigger,
    attempts: execution.attempts,
    scheduledTime: iso(execution.scheduledFor),
  };
}
