import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { freePort } from './processes';

const PDNS = fs.existsSync('/usr/sbin/pdns_server') ? '/usr/sbin/pdns_server' : 'pdns_server';
/** Where Debian's pdns-backend-sqlite3 ships the schema. */
const SCHEMA = '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql';

export interface TestPowerDns {
  apiUrl: string;
  /** Where it answers DNS queries. */
  dnsPort: number;
  apiKey: string;
  /** The powerdns provider config for this server. */
  config: Record<string, unknown>;
  /** Sets a record set through the API, as someone other than Berth would. */
  setRecord(fqdn: string, type: string, values: string[]): Promise<void>;
  /** The zone's contents for a name, read through the API. */
  records(fqdn: string, type: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** A real PowerDNS Authoritative (sqlite3 backend, API on) with one native zone, in a temp dir, stopped by PID. */
export async function startPowerDns(zone: string): Promise<TestPowerDns> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pdns-'));
  const db = path.join(dir, 'pdns.sqlite3');
  const sqlite = knex({ client: 'better-sqlite3', connection: { filename: db }, useNullAsDefault: true });
  for (const statement of fs.readFileSync(SCHEMA, 'utf8').split(';')) if (statement.trim()) await sqlite.raw(statement);
  await sqlite.destroy();
  fs.writeFileSync(path.join(dir, 'pdns.conf'), '');
  const dnsPort = await freePort();
  const apiPort = await freePort();
  const apiKey = randomBytes(16).toString('hex');
  const child: ChildProcess = spawn(
    PDNS,
    [
      `--config-dir=${dir}`, `--socket-dir=${dir}`, '--daemon=no', '--guardian=no', '--disable-syslog', '--write-pid=no',
      '--launch=gsqlite3', `--gsqlite3-database=${db}`, '--local-address=127.0.0.1', `--local-port=${dnsPort}`,
      '--api=yes', `--api-key=${apiKey}`, '--webserver=yes', '--webserver-address=127.0.0.1', `--webserver-port=${apiPort}`,
      '--webserver-allow-from=127.0.0.0/8',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = (method: string, urlPath: string, body?: unknown) =>
    fetch(`${apiUrl}/api/v1/servers/localhost${urlPath}`, {
      method,
      headers: { 'X-API-Key': apiKey, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`pdns_server exited:\n${output}`);
    const ok = await api('GET', '').then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100) throw new Error(`pdns_server did not answer on ${apiPort}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const created = await api('POST', '/zones', { name: `${zone}.`, kind: 'Native', nameservers: [`ns.${zone}.`] });
  if (created.status !== 201) throw new Error(`creating zone ${zone}: ${created.status} ${await created.text()}`);
  return {
    apiUrl,
    dnsPort,
    apiKey,
    config: { apiUrl, apiKey, serverId: 'localhost' },
    async setRecord(fqdn, type, values) {
      const res = await api('PATCH', `/zones/${zone}.`, {
        rrsets: [{ name: `${fqdn}.`, type, ttl: 60, changetype: 'REPLACE', records: values.map((content) => ({ content, disabled: false })) }],
      });
      if (res.status !== 204) throw new Error(`setting ${fqdn}: ${res.status} ${await res.text()}`);
    },
    async records(fqdn, type) {
      const body = (await (await api('GET', `/zones/${zone}.`)).json()) as { rrsets: Array<{ name: string; type: string; records: Array<{ content: string }> }> };
      return body.rrsets.find((r) => r.name === `${fqdn}.` && r.type === type)?.records.map((r) => r.content) ?? [];
    },
    async stop() {
      if (child.exitCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
