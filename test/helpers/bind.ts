import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './processes';

/** Where Debian puts BIND's server; tests that need it skip nothing: .ci/run installs bind9. */
const NAMED = fs.existsSync('/usr/sbin/named') ? '/usr/sbin/named' : 'named';

export interface TestBind {
  port: number;
  zone: string;
  keyName: string;
  secret: string;
  /** The rfc2136 provider config for this server. */
  config: Record<string, unknown>;
  /** Asks the server directly, as a resolver would. */
  query(fqdn: string): Promise<string[]>;
  /** The TXT records at fqdn, each one's strings joined. */
  txt(fqdn: string): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * A real BIND 9 of the test's own: one primary zone that takes TSIG-signed updates, on 127.0.0.1:<free port>,
 * everything in a temp dir, stopped by its PID. `refuseTxt`: names whose TXT updates it refuses (REFUSED).
 */
export async function startBind(zone: string, records: string[] = [], options: { refuseTxt?: string[] } = {}): Promise<TestBind> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bind-'));
  const port = await freePort();
  const keyName = 'berth-test-key';
  const secret = randomBytes(32).toString('base64');
  fs.writeFileSync(
    path.join(dir, `${zone}.zone`),
    [
      '$TTL 300',
      `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`,
      `@ IN NS ns.${zone}.`,
      'ns IN A 127.0.0.1',
      ...records,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'named.conf'),
    `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  allow-query { any; };
};
controls { };
key "${keyName}" { algorithm hmac-sha256; secret "${secret}"; };
zone "${zone}" {
  type primary;
  file "${dir}/${zone}.zone";
  update-policy {
${(options.refuseTxt ?? []).map((name) => `    deny ${keyName} name ${name}. TXT;\n`).join('')}    grant ${keyName} zonesub ANY;
  };
};
`,
  );
  const child: ChildProcess = spawn(NAMED, ['-g', '-c', path.join(dir, 'named.conf'), '-n', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));

  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const orNone = async (lookup: () => Promise<string[]>) => {
    try {
      return await lookup();
    } catch (err) {
      if (['ENODATA', 'ENOTFOUND'].includes((err as { code?: string }).code ?? '')) return [];
      throw err;
    }
  };
  const query = (fqdn: string) => orNone(() => resolver.resolve4(fqdn));
  const txt = (fqdn: string) => orNone(async () => (await resolver.resolveTxt(fqdn)).map((strings) => strings.join('')));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`named exited:\n${output}`);
    try {
      if ((await resolver.resolveSoa(zone)).nsname) break;
    } catch {
      if (i > 100) throw new Error(`named did not answer on port ${port}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    zone,
    keyName,
    secret,
    config: { server: '127.0.0.1', port, keyName, algorithm: 'hmac-sha256', secret },
    query,
    txt,
    async stop() {
      if (child.exitCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
