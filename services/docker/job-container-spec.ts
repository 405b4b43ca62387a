import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { LABELS } from '../apps/app-runtime';
import { forbidden, validationError } from '../core/errors';
import type { JobScope } from '../scheduler/job-runtime';
import { checkContainerWorkingDir, checkEnvironment, checkUser, splitCommand } from '../scheduler/job-runtime-command';
import type { JobSpec } from '../scheduler/job-spec';
import type { JobTargets } from './job-targets';

/** The module name on job containers: tenant deletion and the reconciler treat them as the scheduler's. */
export const SCHEDULER_MODULE = 'scheduler';

/** The execution a job container belongs to (the seed's executionId). */
export const EXECUTION_LABEL = 'io.berth.execution';

/** The labels on every container a job creates (the plan's): Berth's, and Ofelia's own annotations. */
export function jobLabels(scope: JobScope, job: JobSpec): Record<string, string> {
  const annotations: Record<string, string> = {};
  job.annotations.forEach((entry, index) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw validationError(`annotations[${index}] must be key=value`, { field: `annotations[${index}]` });
    annotations[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  });
  // Berth's labels last: an annotation cannot pass a container off as another tenant's or as unmanaged.
  return {
    ...annotations,
    [LABELS.managed]: '1',
    [LABELS.instance]: scope.instanceId,
    [LABELS.platform]: SCHEDULER_MODULE,
    'ofelia.job.name': job.name,
    'ofelia.job.type': job.type,
    ...(scope.executionId ? { [EXECUTION_LABEL]: scope.executionId } : {}),
  };
}

/**
 * The name of a job's container: `container-name` when given (a tenant may not take Berth's own `berth-` names),
 * else `berth-job-<job>-<random>`, unique so two runs of one job never collide.
 */
export function jobContainerName(scope: JobScope, job: JobSpec): string {
  if (job.containerName !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(job.containerName)) {
      throw validationError('containerName must be letters, digits, _, . and -', { field: 'containerName' });
    }
    if (!scope.operator && job.containerName.startsWith('berth-')) {
      throw validationError('containerName may not start with berth-: those names are Berth\'s own', { field: 'containerName' });
    }
    return job.containerName;
  }
  const slug = job.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40) || 'job';
  return `berth-job-${slug}-${randomBytes(4).toString('hex')}`;
}

/**
 * Everything a new job container needs but its network, checked in the scope: the parts of the job that need no
 * engine (command, entrypoint, environment, user, directory, name, labels) and those that do (volumes, volumes-from).
 * A tenant's job may not be privileged (403) nor mount host paths (403) nor other tenants' things (404).
 */
export async function planContainer(targets: JobTargets, scope: JobScope, job: JobSpec, image: string): Promise<Docker.ContainerCreateOptions> {
  const cmd = job.command !== undefined ? splitCommand(job.command) : [];
  // An empty entrypoint clears the image's, as `docker run --entrypoint ''` does.
  const entrypoint = job.entrypoint !== undefined ? splitCommand(job.entrypoint, 'entrypoint') : undefined;
  checkEnvironment(job.environment);
  checkUser(job.user);
  checkContainerWorkingDir(job.workingDir);
  if (job.privileged && !scope.operator) throw forbidden('Only the operator\'s jobs may run privileged containers');
  if (job.hostname !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(job.hostname)) {
    throw validationError('hostname must be a host name', { field: 'hostname' });
  }
  const name = jobContainerName(scope, job);
  const labels = jobLabels(scope, job);
  const binds = await targets.binds(scope, job.volume);
  const volumesFrom = await targets.volumesFrom(scope, job.volumesFrom);
  return {
    name,
    Image: image,
    ...(cmd.length ? { Cmd: cmd } : {}),
    ...(entrypoint ? { Entrypoint: entrypoint.length ? entrypoint : [''] } : {}),
    Env: job.environment,
    Labels: labels,
    Tty: Boolean(job.tty),
    AttachStdout: true,
    AttachStderr: true,
    ...(job.user ? { User: job.user } : {}),
    ...(job.workingDir ? { WorkingDir: job.workingDir } : {}),
    ...(job.hostname ? { Hostname: job.hostname } : {}),
    HostConfig: {
      Binds: binds,
      VolumesFrom: volumesFrom,
      Privileged: Boolean(job.privileged && scope.operator),
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}
