import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { AppRuntime } from '../apps/app-runtime';
import { BerthError, validationError } from '../core/errors';
import { abortReason, type JobScope, type RunIo, type RunResult } from '../scheduler/job-runtime';
import type { JobSpec } from '../scheduler/job-spec';
import { gone } from './docker-errors';
import { planContainer } from './job-container-spec';
import { engine, statusOf } from './job-errors';
import type { JobTargets } from './job-targets';
import { watchStream } from './job-stream';

export interface ContainerDeps {
  docker: Docker;
  targets: JobTargets;
  runtime: Pick<AppRuntime, 'ensureImage'>;
}

/**
 * `run` and `service-run` jobs. With an image: a new container (on the tenant's network for a tenant, `network`
 * for the operator), waited for, its output collected, removed unless `delete=false`. `run` without an image is
 * Ofelia's `docker start` of an existing container, waited for the same way and never removed. `service-run` is
 * the single-engine form of Ofelia's Swarm service job: the same one-off container, on the named network.
 */
export async function checkContainerJob(deps: ContainerDeps, scope: JobScope, job: JobSpec): Promise<void> {
  if (!job.image) {
    if (job.type === 'service-run') throw validationError('image is required for a service-run job', { field: 'image' });
    await deps.targets.container(scope, job.container);
    return;
  }
  await planContainer(deps.targets, scope, job, job.image);
  await deps.targets.network(scope, job.network, false);
  await ensureJobImage(deps.runtime, job.image);
}

export async function runContainerJob(deps: ContainerDeps, scope: JobScope, job: JobSpec, io: RunIo): Promise<RunResult> {
  if (!job.image) {
    if (job.type === 'service-run') throw validationError('image is required for a service-run job', { field: 'image' });
    return startExisting(deps, scope, job, io);
  }
  const options = await planContainer(deps.targets, scope, job, job.image);
  const network = await deps.targets.network(scope, job.network);
  await ensureJobImage(deps.runtime, job.image, io.signal).catch((err) => {
    // A pull cut short by the stop is the stop, not an engine error.
    throw io.signal.aborted ? abortReason(io.signal) : err;
  });
  if (io.signal.aborted) throw abortReason(io.signal);
  if (network) options.HostConfig = { ...options.HostConfig, NetworkMode: network };
  const container = await engine(`Could not create a container from ${job.image}`, () => deps.docker.createContainer(options));
  const keep = job.delete === false;
  try {
    return await attachStartWait(container, Boolean(job.tty), io, `Could not start the container of ${job.image}`);
  } finally {
    // On success, failure and abort alike: a kept container is the job's to inspect, any other is removed.
    if (!keep) await removeContainer(container);
  }
}

/** Ofelia's `docker start` of the named container (in the scope), waited for; an abort kills it. */
async function startExisting(deps: ContainerDeps, scope: JobScope, job: JobSpec, io: RunIo): Promise<RunResult> {
  const target = await deps.targets.container(scope, job.container);
  if (target.State.Running) throw new BerthError('DOCKER_ERROR', 400, `The container ${job.container} is already running`);
  if (io.signal.aborted) throw abortReason(io.signal);
  return attachStartWait(deps.docker.getContainer(target.Id), Boolean(target.Config.Tty), io, `Could not start the container ${job.container}`);
}

/** An image the engine lacks is pulled; one it cannot get is 400 DOCKER_ERROR naming the image. */
export async function ensureJobImage(runtime: Pick<AppRuntime, 'ensureImage'>, image: string, signal?: AbortSignal): Promise<void> {
  try {
    await runtime.ensureImage(image, () => undefined, signal);
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw new BerthError('DOCKER_ERROR', 400, (err as Error).message || `The image ${image} could not be pulled`, { image });
  }
}

/**
 * Attaches before starting (so no output is lost), waits for the next exit, and collects the output. On abort the
 * container is killed (the caller removes it or not) and the abort is thrown.
 */
async function attachStartWait(container: Docker.Container, tty: boolean, io: RunIo, doing: string): Promise<RunResult> {
  const stream = (await engine(doing, () => container.attach({ stream: true, stdout: true, stderr: true }))) as Duplex;
  const watched = watchStream(stream, tty, io);
  // Ends the wait below however this ends: a start the engine refused would leave it waiting (and a socket open)
  // for an exit that may never come.
  const waiting = new AbortController();
  try {
    // `next-exit`, asked before the start: a command that ends at once is still seen ending.
    const exited = engine(doing, () => container.wait({ condition: 'next-exit', abortSignal: waiting.signal }) as Promise<{ StatusCode: number }>);
    exited.catch(() => undefined);
    await engine(doing, () => container.start());
    const done = await Promise.race([Promise.all([exited, watched.ended]).then(([result]) => result), watched.aborted]);
    if (io.signal.aborted || !done) {
      await container.kill().catch((err) => {
        // 404: gone; 409: no longer running. Both mean it is dead.
        if (!gone(err) && statusOf(err) !== 409) throw new BerthError('DOCKER_ERROR', 500, `Could not kill the job's container: ${(err as Error).message}`);
      });
      throw abortReason(io.signal);
    }
    return watched.output.finish(done.StatusCode);
  } finally {
    waiting.abort();
    watched.release();
  }
}

async function removeContainer(container: Docker.Container): Promise<void> {
  await container.remove({ force: true, v: true }).catch((err) => {
    // 409: the engine is already removing it.
    if (!gone(err) && statusOf(err) !== 409) throw new BerthError('DOCKER_ERROR', 500, `Could not remove the job's container: ${(err as Error).message}`);
  });
}
