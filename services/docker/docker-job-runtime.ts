import type Docker from 'dockerode';
import type { AppRuntime } from '../apps/app-runtime';
import type { JobRuntime, JobScope, RunIo, RunResult } from '../scheduler/job-runtime';
import { checkLocal, runLocal } from '../scheduler/job-runtime-local';
import type { JobSpec } from '../scheduler/job-spec';
import type { ExecKillOptions } from './exec-kill';
import { checkContainerJob, runContainerJob } from './job-container';
import { EXECUTION_LABEL } from './job-container-spec';
import { checkExec, runExec } from './job-exec';
import { JobTargets } from './job-targets';

export interface DockerJobRuntimeOptions {
  /** How a stopped exec's process is found and killed (exec-kill.ts); tests replace it to take the fallbacks. */
  kill?: ExecKillOptions;
}

/**
 * The scheduler's JobRuntime on a real Docker engine: `exec` (job-exec.ts), `run` and `service-run`
 * (job-container.ts), and `local` on the host (scheduler/job-runtime-local.ts). What a scope may reach is
 * JobTargets' (job-targets.ts). Images and the tenant network come from the app runtime, so pulls and the
 * network's firewall rules are the apps' own.
 */
export class DockerJobRuntime implements JobRuntime {
  private readonly targets: JobTargets;

  constructor(
    private readonly docker: Docker,
    private readonly runtime: Pick<AppRuntime, 'ensureImage' | 'ensureNetwork'>,
    private readonly options: DockerJobRuntimeOptions = {},
  ) {
    this.targets = new JobTargets(docker, runtime);
  }

  async check(scope: JobScope, job: JobSpec): Promise<void> {
    switch (job.type) {
      case 'exec':
        await checkExec({ targets: this.targets }, scope, job);
        return;
      case 'local':
        checkLocal(scope, job);
        return;
      case 'run':
      case 'service-run':
        await checkContainerJob(this.containerDeps(), scope, job);
        return;
    }
  }

  run(scope: JobScope, job: JobSpec, io: RunIo): Promise<RunResult> {
    switch (job.type) {
      case 'exec':
        return runExec({ docker: this.docker, targets: this.targets, kill: this.options.kill ?? {} }, scope, job, io);
      case 'local':
        return runLocal(scope, job, io);
      case 'run':
      case 'service-run':
        return runContainerJob(this.containerDeps(), scope, job, io);
    }
  }

  async cleanup(executionId: string): Promise<number> {
    const left = await this.docker.listContainers({ all: true, filters: { label: [`${EXECUTION_LABEL}=${executionId}`] } }).catch(() => []);
    for (const container of left) await this.docker.getContainer(container.Id).remove({ force: true }).catch(() => undefined);
    return left.length;
  }

  private containerDeps() {
    return { docker: this.docker, targets: this.targets, runtime: this.runtime };
  }
}
