import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes';

const run = promisify(execFile);

/** A real image registry (Debian's docker-registry, the CNCF distribution) on 127.0.0.1, storing in a temp dir. */
export interface TestRegistry {
  /** host:port, which the engine trusts without TLS because it is on loopback. */
  address: string;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registry-'));
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, [
    'version: 0.1',
    'log: { level: error }',
    `storage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} } }`,
    `http: { addr: "127.0.0.1:${port}" }`,
  ].join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const address = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const answered = await fetch(`http://${address}/v2/`).then((r) => r.ok, () => false);
    if (answered) break;
    if (i > 100 || child.exitCode !== null) throw new Error('docker-registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the docker CLI against the test engine (DOCKER_HOST), optionally feeding stdin. */
export async function docker(args: string[], stdin?: string): Promise<string> {
  if (stdin === undefined) return (await run('docker', args)).stdout;
  const child = execFile('docker', args);
  child.stdin!.end(stdin);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (err += c));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker ${args.join(' ')}: ${err}`))));
  });
}
