import type { ExecutionDetail, Job, JobDetail, ReloadReport } from '../client/scheduler-api';
import { when } from '../ui/format';
import { record, table } from '../ui/table';

/** The scheduler API counts durations in nanoseconds, as Ofelia's Go API does. */
const NANOS_PER_MS = 1_000_000;

/** Nanoseconds for people: `850ms`, `12.3s`, `4m05s`, `1h02m`; `-` while unknown (not ended). */
export function duration(nanos: number | null | undefined): string {
  if (nanos === null || nanos === undefined) return '-';
  const ms = Math.round(nanos / NANOS_PER_MS);
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const firstLine = (text: string | null | undefined) => (text ? text.split('\n').find((l) => l.trim())?.trim() : undefined);

/** `running` while an execution is queued or running, else how its last one ended. */
const jobStatus = (job: Job) => job.status ?? 'never run';

export function jobsTable(jobs: Job[]): string {
  return table(
    ['NAME', 'TYPE', 'SCHEDULE', 'ORIGIN', 'ENABLED', 'STATUS', 'NEXT RUN'],
    jobs.map((j) => [j.name, j.type, j.schedule, j.origin, j.enabled ? 'yes' : 'no', jobStatus(j), when(j.nextRun)]),
  );
}

/** `berth jobs get`: the job's fields (only those its source set), its recent executions, its metrics. */
export function describeJob(job: JobDetail): string {
  const list = (items: string[] | undefined) => (items?.length ? items.join(', ') : null);
  const flag = (value: boolean | undefined) => (value === undefined ? null : value ? 'yes' : 'no');
  // Only what the job's source set: an exec job has no image, and Ofelia's defaults need no line each.
  const optional: Array<[string, string | number | null | undefined]> = [
    ['Command', job.command],
    ['Container', job.container],
    ['Image', job.image],
    ['User', job.user],
    ['Environment', list(job.environment)],
    ['Working dir', job.workingDir],
    ['Volumes', list(job.volume)],
    ['Network', job.network],
    ['TTY', job.tty ? 'yes' : null],
    ['No overlap', flag(job.noOverlap)],
    ['Run on startup', flag(job.runOnStartup)],
    ['Max retries', job.maxRetries],
    ['Max runtime', job.maxRuntime],
    ['Delete after', flag(job.delete)],
    ['History limit', job.historyLimit],
  ];
  const fields = record([
    ['Name', job.name],
    ['Type', job.type],
    ['Origin', job.origin],
    ['Enabled', job.enabled ? 'yes' : 'no'],
    ['Schedule', `${job.schedule}${job.scheduleOverridden ? ' (overridden through the API)' : ''}`],
    ...optional.filter(([, value]) => value !== null && value !== undefined && value !== ''),
    ['Status', jobStatus(job)],
    ['Last run', when(job.lastRun)],
    ['Next run', job.enabled ? when(job.nextRun) : 'none (disabled)'],
  ]);
  const m = job.metrics;
  const metrics = record([
    ['Runs', `${m.totalRuns} (${m.successfulRuns} succeeded, ${m.failedRuns} failed)`],
    ['Average', m.totalRuns ? duration(m.averageDuration) : null],
    ['Last success', when(m.lastSuccess)],
    ['Last failure', when(m.lastFailure)],
  ]);
  // The history holds no exit code (only an execution's own detail does): its error's first line says why.
  const history = job.history.length
    ? table(
        ['EXECUTION', 'STARTED', 'DURATION', 'STATUS', 'ERROR'],
        job.history.map((e) => [e.executionId, when(e.startTime), duration(e.duration), e.status, firstLine(e.error)]),
      )
    : 'No executions yet.';
  return `${fields}\n\nRecent executions (newest first):\n${history}\n\nMetrics:\n${metrics}`;
}

/** How an ended execution went, in one phrase: `failed (exit code 2)`, `ended (timeout)`, `succeeded`. */
export function outcome(execution: ExecutionDetail): string {
  if (execution.status === 'success') return 'succeeded';
  const exit = execution.exitCode !== null && execution.exitCode !== undefined ? ` (exit code ${execution.exitCode})` : '';
  return execution.status === 'failed' ? `failed${exit}` : `ended (${execution.status})${exit}`;
}

/** `berth jobs reload`: the counts, then every refused job and unreadable file on a line of its own. */
export function describeReload(report: ReloadReport): string {
  // Counts mean nothing when no file was read at all (none is set): then the message alone.
  const counted = report.reloaded || report.errors.length > 0;
  const counts = `${report.jobsAdded} added, ${report.jobsUpdated} updated, ${report.jobsRemoved} removed`;
  const lines = [counted ? `${report.message}: ${counts}.` : `${report.message}.`];
  for (const r of report.refused) lines.push(`refused ${r.job}: ${r.reason}`);
  for (const e of report.errors) lines.push(`error ${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  return lines.join('\n');
}
