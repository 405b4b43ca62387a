import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './processes';

export const NGINX_BIN = fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

export interface TestNginx {
  dir: string;
  sitesDir: string;
  confFile: string;
  httpPort: number;
  httpsPort: number;
  /** The BERTH_NGINX_* settings that point Berth at this nginx. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A real nginx of the test's own: its main config in a temp dir, including Berth's sites folder, on free high
 * ports, with default servers that refuse unknown names (404 on HTTP, no TLS handshake on HTTPS). Stopped by PID.
 */
export async function startNginx(): Promise<TestNginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-nginx-'));
  const sitesDir = path.join(dir, 'sites');
  fs.mkdirSync(sitesDir);
  // nginx's workers run as an unprivileged user when the test is root: they read ACME challenges from here.
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'tmp'));
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const confFile = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    confFile,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  # Berth's sites listen on every address of these ports: the default servers must too (one socket per port).
  server { listen ${httpPort} default_server; return 404; }
  server { listen ${httpsPort} ssl default_server; ssl_reject_handshake on; }
  include ${sitesDir}/*.conf;
}
`,
  );
  const child: ChildProcess = spawn(NGINX_BIN, ['-e', 'stderr', '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited:\n${output}`);
    if (await connects(httpsPort)) break;
    if (i > 100) throw new Error(`nginx did not listen on ${httpsPort}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    sitesDir,
    confFile,
    httpPort,
    httpsPort,
    env: {
      BERTH_NGINX_CONF: confFile,
      BERTH_NGINX_SITES_DIR: sitesDir,
      BERTH_NGINX_BIN: NGINX_BIN,
      BERTH_NGINX_HTTP_PORT: String(httpPort),
      BERTH_NGINX_HTTPS_PORT: String(httpsPort),
      // Tests' domains default to letsencrypt-prod: no test may call the real CA (acme.test.ts turns it on).
      BERTH_ACME: 'off',
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

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ProxyResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The certificate's fingerprint, for HTTPS. */
  fingerprint256?: string;
  /** The server's certificate (DER), for HTTPS. */
  peerCertificate?: Buffer;
}

/** A request to nginx as a browser at `host` would make it: SNI and Host set, the server's certificate checked against `ca`. */
export function proxyGet(nginx: TestNginx, host: string, urlPath: string, options: { tls: boolean; ca?: string }): Promise<ProxyResponse> {
  return new Promise((resolve, reject) => {
    const done = (res: http.IncomingMessage) => {
      const socket = res.socket as unknown as { getPeerCertificate?: () => { fingerprint256?: string; raw?: Buffer } };
      const peer = socket.getPeerCertificate?.();
      const fingerprint256 = peer?.fingerprint256;
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint256, peerCertificate: peer?.raw }));
    };
    const common = { host: '127.0.0.1', path: urlPath, headers: { Host: host }, agent: false as const };
    const req = options.tls
      ? https.get({ ...common, port: nginx.httpsPort, servername: host, ca: options.ca, rejectUnauthorized: Boolean(options.ca) }, done)
      : http.get({ ...common, port: nginx.httpPort }, done);
    req.on('error', reject);
  });
}

/**
 * Polls until `ok` holds, at most 30 s: sites are published by tasks that end after the request that started
 * them. (Once a reload has returned, nginx answers with the new configuration: nginx-reload.test.ts.) The error
 * names the last failure or value seen.
 */
export async function untilServed<T>(get: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 300; i++) {
    const value = await get().catch((err: Error) => {
      last = err.message;
      return undefined;
    });
    if (value !== undefined && ok(value)) return value;
    if (value !== undefined) last = value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never got there; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}
