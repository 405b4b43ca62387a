import fs from 'node:fs';
import net from 'node:net';

/**
 * A unix socket forwarding to another (the test engine's), which a test can take down and bring back: to its
 * clients that is an engine restart (every connection cut, then connections refused), without restarting the
 * engine other tests share.
 */
export class SocketProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly path: string,
    private readonly target: string,
  ) {}

  async up(): Promise<void> {
    fs.rmSync(this.path, { force: true });
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        // One side failing ends both, as a dropped connection would.
        s.on('error', () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.path, () => resolve()));
    this.server = server;
  }

  /** Stops listening and cuts every open connection. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
