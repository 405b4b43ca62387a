import { validationError } from '../core/errors';

/** A token fit for an HTTP header: printable ASCII without spaces, at most 512 characters. */
export const HEADER_SAFE = /^[\x21-\x7e]{1,512}$/;

export interface JsonAnswer {
  status: number;
  /** The parsed JSON body; `{}` for an empty one, `{ text }` for one that is not JSON (a proxy's error page). */
  body: Record<string, unknown>;
}

/**
 * A JSON HTTP API at a base URL the operator set (never a tenant's: BERTH_CLOUDFLARE_API, …). Only a request
 * that gets no answer is an error here; what an answer means is the provider's to say.
 */
export class JsonApi {
  constructor(private readonly options: { label: string; baseUrl: string; timeoutSecs: number }) {}

  async call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<JsonAnswer> {
    let res: Response;
    try {
      res = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: { Accept: 'application/json', ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutSecs * 1000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw validationError(`Berth could not reach the ${this.options.label} API at ${this.options.baseUrl} (${why})`, { field: 'provider' });
    }
    const text = await res.text().catch(() => '');
    if (!text) return { status: res.status, body: {} };
    try {
      const parsed = JSON.parse(text) as unknown;
      return { status: res.status, body: parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { text } };
    } catch {
      return { status: res.status, body: { text: text.slice(0, 200) } };
    }
  }
}

/** `?a=1&b=x` from the defined entries. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)]))}` : '';
}
