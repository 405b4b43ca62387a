import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';

/** What the machine says about its ports. Meaningful when the Docker engine runs on this machine (the default). */
export interface HostPorts {
  /** False when something on the machine already listens on the port. */
  isFree(port: number, protocol: 'tcp' | 'udp'): Promise<boolean>;
  /** A loopback port nothing listens on now, for an app's HTTP port. */
  freeLoopbackPort(): Promise<number>;
}

export class LocalHostPorts implements HostPorts {
  async isFree(port: number, protocol: 'tcp' | 'udp'): Promise<boolean> {
    return protocol === 'tcp' ? tcpFree(port) : udpFree(port);
  }

  freeLoopbackPort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    // Only "in use" counts as taken: a port this process may not bind (EACCES) is still free for the engine.
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRINUSE'));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err.code !== 'EADDRINUSE');
    });
    socket.bind(port, '0.0.0.0', () => socket.close(() => resolve(true)));
  });
}

export interface ProbeResult {
  healthy: boolean;
  /** The HTTP status, or why there was none. */
  detail: string;
}

/** GET http://127.0.0.1:<port><path> with the app's Host header, no redirects: below 400 is healthy. */
export function probeHttp(port: number, path: string, host: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { Host: host, 'User-Agent': 'Berth health check' }, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ healthy: status > 0 && status < 400, detail: `HTTP ${status}` });
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (err: NodeJS.ErrnoException) => resolve({ healthy: false, detail: err.code ?? err.message }));
  });
}
