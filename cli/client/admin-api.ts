import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from '../generated/admin';
import { unwrap } from './api';
import { apiError, ApiError, CliError } from './errors';
import { nodeFetch } from './transport';
import type { Task } from './types';
import type { TaskSource } from './wait';

/** The admin API client, typed from openapi/admin.yaml (`npm run generate:client` writes cli/generated/admin.ts). */
export type AdminClient = Client<paths>;
export type InstanceResource = components['schemas']['InstanceResource'];
export type Quotas = components['schemas']['Quotas'];

/** Where the admin API listens unless --admin-url or BERTH_ADMIN_URL say otherwise (BERTH_ADMIN_HOST:PORT's defaults). */
export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:6060';

/**
 * HTTP Basic with the passphrase as the password (the user name is ignored by the server). The listener
 * speaks plain HTTP on the loopback, so there is no self-signed option to carry.
 */
export function adminClient(url: string, passphrase: string): AdminClient {
  return createClient<paths>({
    baseUrl: url,
    fetch: nodeFetch({ allowSelfsigned: false }),
    headers: { Authorization: `Basic ${Buffer.from(`admin:${passphrase}`).toString('base64')}` },
  });
}

type Answer = { data?: unknown; error?: unknown; response: Response };

/** The answer's data, or the server's message (wrong passphrase, unknown domain, …) as an ApiError. */
export async function adminUnwrap<A extends Answer>(call: Promise<A>): Promise<Exclude<A['data'], undefined>> {
  const answer = await call;
  // Too many wrong passphrases: say when the next try is allowed.
  const retryAfter = answer.response.status === 429 ? answer.response.headers.get('retry-after') : null;
  if (retryAfter) throw new ApiError(`${apiError(429, answer.error).message} (in ${retryAfter} seconds)`, 429, 'RATE_LIMITED');
  // No token was sent: a 401 gets no "log in again" hint, which would point at the box API.
  return unwrap(Promise.resolve(answer), { sentToken: false });
}

/**
 * `127.0.0.1:6060` or `http://host:6060/` → `http://host:6060`. Without a scheme http is assumed: the admin
 * listener speaks plain HTTP (reach it from elsewhere through an SSH tunnel).
 */
export function normaliseAdminUrl(input: string): string {
  const text = input.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    url = undefined;
  }
  if (!text || !url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new CliError(`the admin URL is not an http(s) URL: ${input}`, 2);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The admin API's tasks (deletions and exports of any tenant). It cannot stop a task. A deletion task goes
 * with the instance it deletes, so `gone` says what a 404 means for the task being followed.
 */
export function adminTasks(api: AdminClient, gone?: (taskId: number) => Promise<Task | undefined>): TaskSource {
  return {
    async get(taskId) {
      const answer = await api.GET('/tasks/{taskId}', { params: { path: { taskId } } });
      if (answer.response.status === 404 && gone) {
        const finished = await gone(taskId);
        if (finished) return finished;
      }
      // The admin document leaves the task's fields to the box API's Task, which it serves unchanged.
      return (await adminUnwrap(Promise.resolve(answer))) as unknown as Task;
    },
  };
}
