import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { App } from '../apps/app-repo';
import type { AppPublisher } from '../apps/reverse-proxy';
import type { NginxConfig } from '../core/config';
import { hostsOf } from './app-dns';
import type { CertificateService } from '../certificates/certificate-service';
import type { Domain, DomainRepo } from './domain-repo';
import { renderAppSite, renderShared } from './nginx-site';

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

  async reload(): Promise<void> {
    const result = await this.run(['-s', 'reload']);
    if (!result.ok) throw new Error(`nginx did not reload: ${result.output}`);
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
export class NginxPublisher implements AppPublisher {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { config: NginxConfig; domains: DomainRepo; nginx: NginxControl; certificates?: CertificateService }) {}

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
      for (const host of hosts) {
        const domain = await this.deps.domains.get(app.instanceId, host.domain);
        if (!domain) throw new Error(`The domain ${host.domain} is not added: the app cannot be published`);
        // The certificate's name: the fqdn, or `*.<domain>` shared by the names of a wildcard domain.
        const name = this.deps.certificates?.nameFor(domain, host.fqdn) ?? host.fqdn;
        const acme = await this.deps.certificates?.unexpired(domain, name);
        if (acme) certs[host.fqdn] = this.writeCertificate(acmeFile(name), acme);
        else certs[host.fqdn] = this.writeCertificate(domain.domain, domain.fallbackCertificate);
        if (await this.deps.certificates?.wanted(domain, name)) wanted.push({ domain, name, fqdn: host.fqdn });
      }
      this.writeShared();
      await this.apply(this.sitePath(app), renderAppSite(app, hosts, certs, this.deps.config));
      if (!wanted.length || !this.deps.certificates) return;
      const issued = new Map<string, { cert: string; key: string } | null>();
      for (const { domain, name, fqdn } of wanted) {
        if (!issued.has(name)) issued.set(name, await this.deps.certificates.obtain(domain, name, log));
        const pair = issued.get(name);
        if (pair) certs[fqdn] = this.writeCertificate(acmeFile(name), pair);
      }
      // A renewed certificate may keep its file names (the site unchanged): nginx must reload all the same.
      if ([...issued.values()].some(Boolean)) await this.apply(this.sitePath(app), renderAppSite(app, hosts, certs, this.deps.config), true);
    });
  }

  unpublish(app: App): Promise<void> {
    return this.serial(async () => {
      if (!fs.existsSync(this.sitePath(app))) return;
      await this.apply(this.sitePath(app), null);
    });
  }

  /**
   * Writes (or removes, for null) one site file, checks nginx's whole configuration, reloads; rolls back when
   * refused. An unchanged file is left alone unless `certificatesChanged`.
   */
  private async apply(file: string, content: string | null, certificatesChanged = false): Promise<void> {
    const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (previous === content && !certificatesChanged) return;
    if (content === null) fs.rmSync(file, { force: true });
    else writeAtomically(file, content, 0o644);
    const refused = await this.deps.nginx.test();
    if (refused) {
      if (previous === null) fs.rmSync(file, { force: true });
      else writeAtomically(file, previous, 0o644);
      throw new Error(`nginx refused the configuration (rolled back): ${refused}`);
    }
    await this.deps.nginx.reload();
  }

  /** `name`: the domain (its fallback certificate) or `acme/<fqdn>`. */
  private writeCertificate(name: string, pair: { cert: string; key: string }) {
    const dir = path.join(this.deps.config.sitesDir, 'certs');
    fs.mkdirSync(path.join(dir, 'acme'), { recursive: true, mode: 0o700 });
    const cert = path.join(dir, `${name}.crt`);
    const key = path.join(dir, `${name}.key`);
    if (!fs.existsSync(cert) || fs.readFileSync(cert, 'utf8') !== pair.cert) writeAtomically(cert, pair.cert, 0o644);
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
