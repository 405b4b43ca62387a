import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../generated/box';
import { apiError } from './errors';
import { nodeFetch } from './transport';

/** The box API client, typed from openapi/box.yaml (`npm run generate:client` writes cli/generated/box.ts). */
export type BoxClient = Client<paths>;

export interface ClientOptions {
  /** The box's address, e.g. `https://my.example.com`. */
  url: string;
  token?: string;
  allowSelfsigned?: boolean;
}

export function boxClient(options: ClientOptions): BoxClient {
  return createClient<paths>({
    baseUrl: apiBase(options.url),
    fetch: nodeFetch({ allowSelfsigned: Boolean(options.allowSelfsigned) }),
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
  });
}

/** `https://my.example.com` → `https://my.example.com/api/v1`. */
export function apiBase(url: string): string {
  return `${url.replace(/\/+$/, '')}/api/v1`;
}

type Answer = { data?: unknown; error?: unknown; response: Response };

/** The answer's data, or an ApiError carrying the server's message when the status is not 2xx. */
export async function unwrap<A extends Answer>(call: Promise<A>, options: { sentToken?: boolean } = {}): Promise<Exclude<A['data'], undefined>> {
  const answer = await call;
  if (!answer.response.ok) throw apiError(answer.response.status, answer.error, options);
  return answer.data as Exclude<A['data'], undefined>;
}

/**
 * Normalises what a person types as a box's address: adds `https://` when no scheme is given, drops a
 * trailing `/` or `/api/v1`. Returns undefined for something that is not an http(s) URL.
 */
export function normaliseUrl(input: string): string | undefined {
  const text = input.trim();
  if (!text) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const pathname = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  return `${url.protocol}//${url.host}${pathname}`;
}
