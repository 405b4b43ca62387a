import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './processes';

const PEBBLE = fs.existsSync('/usr/bin/pebble') ? '/usr/bin/pebble' : 'pebble';

export interface TestPebble {
  directoryUrl: string;
  /** The PEM Pebble's own HTTPS is served with: BERTH_ACME_CA_FILE. */
  caFile: string;
  /** Pebble's root and intermediate (regenerated at every start), from its management port. */
  root(): Promise<string>;
  intermediate(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real Pebble (Let's Encrypt's test CA) of the test's own on 127.0.0.1 high ports: it resolves names with
 * `dnsServer` and validates HTTP-01 on `httpPort` (where nginx answers). Its HTTPS certificate is a self-signed
 * one made here (Debian's package ships none). Challenges are really validated (no PEBBLE_VA_ALWAYS_VALID).
 */
export async function startPebble(options: { httpPort: number; dnsServer: string }): Promise<TestPebble> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pebble-'));
  const caFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=pebble-test',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', caFile,
  ], { stdio: 'ignore' });
  const [port, management, tlsPort] = await freePorts(3);
  const config = path.join(dir, 'pebble.json');
  fs.writeFileSync(config, JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${port}`, managementListenAddress: `127.0.0.1:${management}`, certificate: caFile, privateKey: keyFile,
      httpPort: options.httpPort, tlsPort, ocspResponderURL: '', externalAccountBindingRequired: false,
    },
  }));
  // NOSLEEP: no random validation delay; NONCEREJECT=0: no deliberately rejected nonces (a retry path, not ours to test).
  const child: ChildProcess = spawn(PEBBLE, ['-config', config, '-dnsserver', options.dnsServer], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ca = fs.readFileSync(caFile, 'utf8');
  const get = (url: string) =>
    new Promise<string>((resolve, reject) => {
      https.get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
      }).on('error', reject);
    });
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`pebble exited:\n${output}`);
    if (await get(directoryUrl).then(() => true, () => false)) break;
    if (i > 100) throw new Error(`pebble did not answer on ${port}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    directoryUrl,
    caFile,
    root: () => get(`https://127.0.0.1:${management}/roots/0`),
    intermediate: () => get(`https://127.0.0.1:${management}/intermediates/0`),
    async stop() {
      if (child.exitCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
