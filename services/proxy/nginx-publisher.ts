import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { App } from '../apps/app-repo';
import type { AppPublisher } from '../apps/app-publisher';
import { hostsOf } from '../apps/app-dns-step';
import type { NginxConfig } from '../core/config';
import { acceptingWorkers, masterPid, untilWorkersReplaced } from './nginx-workers';
import type { CertificateService } from '../certificates/certificate-service';
import type { Domain, DomainRepo } from '../domains/domain-repo';
import type { WellKnownPublisher } from '../domains/well-known-publisher';
import type { DashboardPublisher, DashboardSite } from './reverse-proxy';
import { renderAppSite, renderDashboardSite, renderShared, renderWellKnownSite, type WellKnownFiles } from './nginx-site';

/** What the publisher asks of nginx: check the whole configuration, then reload it. */
export interface NginxControl {
  /** `nginx -t`: null when fine, else nginx's complaint. */
  test(): Promise<string | null>;
  reload(): Promise<void>;
}

export class NginxCommand implements NginxControl {
  constructor(private readonly config: Pick<NginxConfig, 'binary' | 'confFile'>) {}

  async test(): Promise<string | null> {
    const result = await this.run(['-t']);
    return result.ok ? null : result.output;
  }

  /** Signals the reload, then waits until only workers with the new configuration take connections. */
  async reload(): Promise<void> {
    const master = masterPid(this.config.confFile);
    const before = master ? acceptingWorkers(master) : new Set<number>();
    const result = await this.run(['-s', 'reload']);
    if (!result.ok) throw new Error(`nginx did not reload: ${result.output}`);
    if (master && before.size > 0 && !(await untilWorkersReplaced(master, before))) {
      // The master kept its old workers: it could not apply the configuration (a port it cannot bind, say).
      throw new Error('nginx kept its old configuration after the reload (see its error log)');
    }
  }

  private run(args: string[]): Promise<{ ok: boolean; output: string }> {
    return new Promise((resolve) => {
      // -e stderr: nginx opens its compiled-in error log before reading the config, which may not be writable.
      execFile(this.config.binary, ['-e', 'stderr', '-c', this.config.confFile, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`
          .split('\n')
          .filter((l) => l.trim() && !/syntax is ok|test is successful/.test(l))
          .join('; ');
        resolve({ ok: !err, output: output || (err ? err.message : '') });
      });
    });
  }
}

/**
 * The reverse proxy: one nginx site file per app (`app-<id>.conf` in BERTH_NGINX_SITES_DIR, which nginx's
 * configuration includes), each name the app answers to served over HTTPS with its domain's certificate and
 * proxied to the app's loopback port. A change is written atomically, checked with `nginx -t` and only then
 * reloaded; a configuration nginx refuses is rolled back and the app task fails with nginx's reason.
 * Changes in one process are serialised; a worker process per box is assumed (see docs/domains.md).
 */
export class NginxPublisher implements AppPublisher, DashboardPublisher, WellKnownPublisher {
  private queue: Promise<unknown> = Promise.resolve();
  /** A certificate file was rewritten since nginx last reloaded (changes are serialised, so one flag will do). */
  private certificatesChanged = false;

  constructor(
    private readonly deps: {
      config: NginxConfig;
      domains: DomainRepo;
      nginx: NginxControl;
      certificates?: CertificateService;
      /** Berth's own HTTP listener (`host:port`), which the dashboard's site proxies to. */
      dashboardUpstream: string;
    },
  ) {}

  /**
   * Serves the app's names, each with its stored ACME certificate (until it expires, renewal or not) or its
   * domain's fallback. Names that should get an ACME certificate are first published that way (so port 80
   * answers the CA's HTTP-01 challenge), then issued and published again; a CA failure leaves what was served
   * in place (see CertificateService). The names of a wildcard domain share its `*.<domain>` certificate,
   * issued (through DNS-01) at most once here.
   */
  publish(app: App, log: (line: string) => void = () => undefined): Promise<void> {
    return this.serial(async () => {
      if (app.httpPort === null) return;
      const hosts = hostsOf(app);
      const certs: Record<string, { cert: string; key: string }> = {};
      const wanted: { domain: Domain; name: string; fqdn: string }[] = [];
      const wellKnown: Record<string, WellKnownFiles> = {};
      for (const host of hosts) {
        const domain = await this.domainOf(app.instanceId, host.domain, `app ${app.id}`);
        const chosen = await this.certificate(domain, host.fqdn);
        certs[host.fqdn] = chosen.files;
        if (chosen.wanted) wanted.push({ domain, name: chosen.name, fqdn: host.fqdn });
        if (host.fqdn === domain.domain) wellKnown[host.fqdn] = this.writeWellKnown(domain);
      }
      const render = () => renderAppSite(app, hosts, certs, this.deps.config, wellKnown);
      this.writeShared();
      await this.apply(this.sitePath(app), render());
      if (await this.issue(wanted, certs, log)) await this.apply(this.sitePath(app), render());
    });
  }

  /**
   * The dashboard's site (`dashboard-<tenant>.conf`): its name served like an app's (ACME certificate, else the
   * domain's fallback) and proxied to Berth's own listener. Replacing the file moves the dashboard to a new name.
   */
  publishDashboard(site: DashboardSite, log: (line: string) => void = () => undefined): Promise<boolean> {
    return this.serial(async () => {
      const domain = await this.domainOf(site.instanceId, site.domain, 'the dashboard');
      const chosen = await this.certificate(domain, site.fqdn);
      const certs = { [site.fqdn]: chosen.files };
      const file = this.dashboardPath(site.instanceId);
      const render = () => renderDashboardSite(site.instanceId, site.fqdn, certs[site.fqdn], this.deps.dashboardUpstream, this.deps.config);
      this.writeShared();
      await this.apply(file, render());
      if (chosen.wanted && (await this.issue([{ domain, name: chosen.name, fqdn: site.fqdn }], certs, log))) await this.apply(file, render());
      return true;
    });
  }

  unpublishDashboard(instanceId: string): Promise<void> {
    return this.serial(async () => {
      if (fs.existsSync(this.dashboardPath(instanceId))) await this.apply(this.dashboardPath(instanceId), null);
    });
  }

  private dashboardPath(instanceId: string) {
    return path.join(this.deps.config.sitesDir, `dashboard-${instanceId}.conf`);
  }

  publishWellKnown(instanceId: string, name: string, standalone: boolean, log: (line: string) => void = () => undefined): Promise<boolean> {
    return this.serial(async () => {
      const file = path.join(this.deps.config.sitesDir, `wellknown-${name}.conf`);
      const domain = await this.deps.domains.get(instanceId, name);
      if (!domain?.wellKnown || !standalone) {
        if (fs.existsSync(file)) await this.apply(file, null);
        if (!domain?.wellKnown) fs.rmSync(this.wellKnownDir(name), { recursive: true, force: true });
        return true;
      }
      const chosen = await this.certificate(domain, name);
      const certs = { [name]: chosen.files };
      const files = this.writeWellKnown(domain);
      const render = () => renderWellKnownSite(name, certs[name], files, this.deps.config);
      this.writeShared();
      await this.apply(file, render());
      if (chosen.wanted && (await this.issue([{ domain, name: chosen.name, fqdn: name }], certs, log))) await this.apply(file, render());
      return true;
    });
  }

  /** One file per document (nginx serves them as they are: no escaping), those no longer in the map removed. */
  private writeWellKnown(domain: Domain): WellKnownFiles {
    const dir = this.wellKnownDir(domain.domain);
    const files = Object.entries(domain.wellKnown ?? {}).map(([key, content]) => ({ key, file: path.join(dir, key), content }));
    for (const { file, content } of files) {
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) writeAtomically(file, content, 0o644);
    }
    const keep = new Set(files.map((f) => f.file));
    if (fs.existsSync(dir)) {
      for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        const full = path.join(entry.parentPath, entry.name);
        if (entry.isFile() && !keep.has(full)) fs.rmSync(full, { force: true });
      }
    }
    return files.map(({ key, file }) => ({ key, file }));
  }

  private wellKnownDir(name: string) {
    return path.join(this.deps.config.sitesDir, 'well-known', name);
  }

  private async domainOf(instanceId: string, name: string, what: string): Promise<Domain> {
    const domain = await this.deps.domains.get(instanceId, name);
    if (!domain) throw new Error(`The domain ${name} is not added: ${what} cannot be published`);
    return domain;
  }

  /**
   * The files a name is served with now (its ACME certificate until it expires, else the domain's fallback),
   * the certificate's name (the fqdn, or `*.<domain>` shared by the names of a wildcard domain), and whether
   * that certificate should be issued or renewed.
   */
  private async certificate(domain: Domain, fqdn: string): Promise<{ files: { cert: string; key: string }; name: string; wanted: boolean }> {
    const name = this.deps.certificates?.nameFor(domain, fqdn) ?? fqdn;
    const acme = await this.deps.certificates?.unexpired(domain, name);
    const files = acme ? this.writeCertificate(acmeFile(name), acme) : this.writeCertificate(domain.domain, domain.fallbackCertificate);
    return { files, name, wanted: Boolean(await this.deps.certificates?.wanted(domain, name)) };
  }

  /** Asks the CA for each wanted certificate once, replacing the files of the names it serves; true when any was issued. */
  private async issue(wanted: { domain: Domain; name: string; fqdn: string }[], certs: Record<string, { cert: string; key: string }>, log: (line: string) => void): Promise<boolean> {
    if (!this.deps.certificates) return false;
    const issued = new Map<string, { cert: string; key: string } | null>();
    for (const { domain, name, fqdn } of wanted) {
      if (!issued.has(name)) issued.set(name, await this.deps.certificates.obtain(domain, name, log));
      const pair = issued.get(name);
      if (pair) certs[fqdn] = this.writeCertificate(acmeFile(name), pair);
    }
    return [...issued.values()].some(Boolean);
  }

  unpublish(app: App): Promise<void> {
    return this.serial(async () => {
      if (!fs.existsSync(this.sitePath(app))) return;
      await this.apply(this.sitePath(app), null);
    });
  }

  /**
   * Writes (or removes, for null) one site file, checks nginx's whole configuration, reloads; rolls back when
   * refused. An unchanged file is left alone unless a certificate file changed since the last reload.
   */
  private async apply(file: string, content: string | null): Promise<void> {
    const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    // nginx reads certificates only when it loads its configuration: a new one in the same file needs a reload too.
    if (previous === content && !this.certificatesChanged) return;
    if (content === null) fs.rmSync(file, { force: true });
    else writeAtomically(file, content, 0o644);
    const refused = await this.deps.nginx.test();
    if (refused) {
      if (previous === null) fs.rmSync(file, { force: true });
      else writeAtomically(file, previous, 0o644);
      throw new Error(`nginx refused the configuration (rolled back): ${refused}`);
    }
    await this.deps.nginx.reload();
    this.certificatesChanged = false;
  }

  /** `name`: the domain (its fallback certificate) or `acme/<certificate name>` (acmeFile). */
  private writeCertificate(name: string, pair: { cert: string; key: string }) {
    const dir = path.join(this.deps.config.sitesDir, 'certs');
    fs.mkdirSync(path.join(dir, 'acme'), { recursive: true, mode: 0o700 });
    const cert = path.join(dir, `${name}.crt`);
    const key = path.join(dir, `${name}.key`);
    if (!fs.existsSync(cert) || fs.readFileSync(cert, 'utf8') !== pair.cert) {
      writeAtomically(cert, pair.cert, 0o644);
      this.certificatesChanged = true;
    }
    if (!fs.existsSync(key) || fs.readFileSync(key, 'utf8') !== pair.key) writeAtomically(key, pair.key, 0o600);
    return { cert, key };
  }

  /** What every site relies on (the WebSocket `Connection` map), once. */
  private writeShared() {
    const file = path.join(this.deps.config.sitesDir, '00-berth-shared.conf');
    const content = renderShared();
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) writeAtomically(file, content, 0o644);
  }

  private sitePath(app: Pick<App, 'id'>) {
    return path.join(this.deps.config.sitesDir, `app-${app.id}.conf`);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** `acme/<fqdn>`; a wildcard's `*` becomes `_`, which no host name holds. */
const acmeFile = (name: string) => `acme/${name.replace('*', '_')}`;

/** A reader (nginx, mid-reload) sees the old file or the new one, never half of one. */
function writeAtomically(file: string, content: string, mode: number) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}
