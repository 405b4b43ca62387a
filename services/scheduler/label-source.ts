import type { Logger } from '../core/logger';
import { jobsFromLabels, type LabelledContainer } from './label-jobs';
import { emptyReport, type JobSources, type SyncReport } from './job-sources';

/** The label Berth puts on its apps' containers: the tenant they belong to. */
const INSTANCE_LABEL = 'io.berth.instance';

/**
 * Labelled containers as a job source (the LabelWatcher hands over the whole set at each change): each
 * container's labels replace that container's jobs, and a container that is gone takes its jobs with it. A
 * Berth app's container makes jobs of its tenant, with the tenant's rights; any other container makes the
 * operator's jobs (the default tenant, the operator's rights), as Ofelia's labels are the operator's.
 * Refused labels are logged when they first appear, not at every event (a stopped container's exec labels are
 * refused at each re-list).
 */
export class LabelSource {
  private refusedBefore = new Set<string>();
  private globals: Record<string, string> = {};

  constructor(private readonly deps: { sources: JobSources; logger: Logger }) {}

  /** The allowed global settings the Ofelia service container's labels give (for `GET /api/config`). */
  global(): Record<string, string> {
    return { ...this.globals };
  }

  async apply(containers: LabelledContainer[]): Promise<SyncReport> {
    const report = emptyReport();
    const operator = await this.deps.sources.operatorTenant();
    const refusedNow = new Set<string>();
    const globals: Record<string, string> = {};
    for (const container of containers) {
      const { jobs, refused, global } = jobsFromLabels(container);
      Object.assign(globals, global);
      for (const { label, reason } of refused) {
        const key = `${container.id}:${label}:${reason}`;
        refusedNow.add(key);
        if (!this.refusedBefore.has(key)) this.deps.logger.warn({ container: container.name, label, reason }, 'scheduler: label refused');
        report.refused.push({ job: `${container.name}: ${label}`, reason });
      }
      const tenant = container.labels[INSTANCE_LABEL];
      const instanceId = tenant ?? operator;
      // Before the box has a tenant, the operator's labels wait for one (the next event or start re-reads them).
      if (!instanceId) continue;
      const entries = jobs.map((spec) => ({ instanceId, operator: !tenant, spec }));
      const synced = await this.deps.sources.sync('docker-label', container.id, entries).catch((err: Error) => {
        // A label naming a tenant that does not exist: this container's jobs wait, the others load.
        this.deps.logger.warn({ container: container.name, err: err.message }, 'scheduler: labels not read');
        return emptyReport();
      });
      report.added.push(...synced.added);
      report.updated.push(...synced.updated);
      report.removed.push(...synced.removed);
      report.refused.push(...synced.refused);
    }
    this.refusedBefore = refusedNow;
    this.globals = globals;
    const present = new Set(containers.map((c) => c.id));
    for (const gone of (await this.deps.sources.sourceKeys('docker-label')).filter((key) => !present.has(key))) {
      report.removed.push(...(await this.deps.sources.sync('docker-label', gone, [])).removed);
    }
    return report;
  }
}
