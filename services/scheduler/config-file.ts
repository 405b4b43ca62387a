import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BerthError } from '../core/errors';
import type { Logger } from '../core/logger';
import { emptyReport, type JobSources, type SyncReport } from './job-sources';
import { parseOfeliaIni, type OfeliaConfig } from './ofelia-ini';

export interface FileError {
  file: string;
  line?: number;
  message: string;
}

export interface ReloadReport extends SyncReport {
  /** Files that could not be read or parsed: their jobs stay as they were. */
  errors: FileError[];
}

/**
 * The operator's jobs from Ofelia INI files (BERTH_SCHEDULER_CONFIG: a path, or a glob in its last part). Each
 * file is its own source: a file that fails to parse keeps its previous jobs and reports the line (Ofelia drops the
 * whole file silently); a file that is gone takes its jobs with it. `${VAR}` is replaced from the environment, as
 * netresearch's Ofelia does. The jobs run for the box's default tenant with the operator's rights.
 */
export class ConfigFile {
  private globals: Record<string, OfeliaConfig['global']> = {};
  private stamps = new Map<string, number>();
  private loaded = false;

  constructor(
    private readonly deps: { pattern: string | undefined; sources: JobSources; env: Record<string, string | undefined>; logger: Logger },
  ) {}

  get configured(): boolean {
    return Boolean(this.deps.pattern);
  }

  /**
   * The `[global]` sections of the files, merged in file order (for `GET /api/config`). An API process that runs
   * no schedules never reloads: it reads the files once here, without touching the jobs.
   */
  async global(): Promise<OfeliaConfig['global']> {
    if (!this.loaded && this.deps.pattern) {
      const report: ReloadReport = { ...emptyReport(), errors: [] };
      for (const file of await this.files(report)) {
        const config = await this.read(file, report);
        if (config) this.globals[file] = config.global;
      }
      this.loaded = true;
    }
    return Object.assign({}, ...Object.values(this.globals));
  }

  /** Reads every file again and replaces the jobs of those that changed (all of them when `force`). */
  async reload(force = true): Promise<ReloadReport> {
    const report: ReloadReport = { ...emptyReport(), errors: [] };
    if (!this.deps.pattern) return report;
    const tenant = await this.deps.sources.operatorTenant();
    if (!tenant) {
      report.errors.push({ file: this.deps.pattern, message: 'the box has no tenant yet: the file is read once one exists' });
      return report;
    }
    const files = await this.files(report);
    this.loaded = true;
    for (const file of files) {
      const stamp = await fs.stat(file).then((s) => s.mtimeMs, () => undefined);
      if (!force && stamp !== undefined && this.stamps.get(file) === stamp) continue;
      const config = await this.read(file, report);
      if (!config) continue;
      if (stamp !== undefined) this.stamps.set(file, stamp);
      this.globals[file] = config.global;
      const entries = config.jobs.map((spec) => ({ instanceId: tenant, operator: true, spec }));
      merge(report, await this.deps.sources.sync('config', file, entries));
    }
    for (const gone of (await this.deps.sources.sourceKeys('config')).filter((key) => !files.includes(key))) {
      delete this.globals[gone];
      this.stamps.delete(gone);
      merge(report, await this.deps.sources.sync('config', gone, []));
    }
    if (report.errors.length) this.deps.logger.warn({ errors: report.errors }, 'scheduler: configuration files not read');
    return report;
  }

  private async read(file: string, report: ReloadReport): Promise<OfeliaConfig | undefined> {
    try {
      const text = await fs.readFile(file, 'utf8');
      return parseOfeliaIni(substitute(text, this.deps.env), file);
    } catch (err) {
      const line = err instanceof BerthError ? (err.details?.line as number | undefined) : undefined;
      report.errors.push({ file, ...(line ? { line } : {}), message: err instanceof BerthError ? err.message : `cannot read: ${(err as Error).message}` });
      return undefined;
    }
  }

  /** The files the pattern names now, sorted (a glob is allowed in the last part only, as `conf.d/*.ini`). */
  private async files(report: ReloadReport): Promise<string[]> {
    const pattern = path.resolve(this.deps.pattern as string);
    const dir = path.dirname(pattern);
    const base = path.basename(pattern);
    if (!/[*?[]/.test(base)) return [pattern];
    const matcher = globToRegExp(base);
    try {
      return (await fs.readdir(dir)).filter((name) => matcher.test(name)).sort().map((name) => path.join(dir, name));
    } catch (err) {
      report.errors.push({ file: dir, message: `cannot list: ${(err as Error).message}` });
      return [];
    }
  }
}

function merge(into: SyncReport, from: SyncReport): void {
  into.added.push(...from.added);
  into.updated.push(...from.updated);
  into.removed.push(...from.removed);
  into.refused.push(...from.refused);
}

/** `${NAME}` from the environment; unknown names stay as written. */
function substitute(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env[name] ?? whole);
}

/** `*`, `?` and `[...]` of a shell glob, for one path part. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        source += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
