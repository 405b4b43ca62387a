import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { networkError } from './errors';

export interface TransportOptions {
  /** Accept a TLS certificate no authority vouches for (a box on a self-signed certificate). */
  allowSelfsigned: boolean;
}

export type Fetch = (input: Request) => Promise<Response>;

/**
 * A `fetch` over node:http and node:https, for openapi-fetch. Node's own fetch has no per-request way to
 * accept a self-signed certificate; this one does, streams bodies (server-sent events) as they come, opens no
 * keep-alive connections that would hold the process open, and turns connection failures into one-line
 * errors naming the server.
 */
export function nodeFetch(options: TransportOptions): Fetch {
  return async (request: Request) => {
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => (headers[key] = value));
    if (body) headers['content-length'] = String(body.length);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      const req = client.request(
        url,
        { method: request.method, headers, agent: false, rejectUnauthorized: !options.allowSelfsigned, signal: request.signal },
        (res) => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) responseHeaders.append(key, v);
          }
          const status = res.statusCode ?? 500;
          const empty = request.method === 'HEAD' || status === 204 || status === 205 || status === 304;
          if (empty) res.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage,
              headers: responseHeaders,
            }),
          );
        },
      );
      req.on('error', (err) => reject(request.signal.aborted ? err : networkError(request.url, err)));
      req.end(body);
    });
  };
}
