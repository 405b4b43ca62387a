import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a fake API answers. */
export interface FakeAnswer {
  status: number;
  body?: string;
  type?: string;
}

export interface FakeRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Every request seen, as `METHOD /path?query`. */
  seen: string[];
  stop(): Promise<void>;
}

/** A small HTTP server on the loopback that hands each request, body read, to `answer`. */
export async function serveFake(answer: (req: FakeRequest) => FakeAnswer): Promise<FakeServer> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      let reply: FakeAnswer;
      try {
        reply = answer({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://fake'), headers: req.headers, body });
      } catch (err) {
        reply = { status: 500, body: String((err as Error).stack) };
      }
      res.writeHead(reply.status, reply.body === undefined ? {} : { 'Content-Type': reply.type ?? 'application/json' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** What each fake DNS API offers a test besides its credentials. */
export interface FakeDnsApi {
  /** The API base URL, for Berth's BERTH_… setting. */
  url: string;
  /** Writes records as someone other than Berth would. */
  setRecord(fqdn: string, type: string, values: string[]): void;
  seen: string[];
  stop(): Promise<void>;
}

export const json = (status: number, value: unknown): FakeAnswer => ({ status, body: JSON.stringify(value) });
