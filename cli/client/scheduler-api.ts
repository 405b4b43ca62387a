import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from '../generated/scheduler';
import { unwrap, type ClientOptions } from './api';
import { ApiError, apiError } from './errors';
import { nodeFetch } from './transport';

/** The scheduler API client, typed from openapi/scheduler.yaml (`npm run generate:client` writes cli/generated/scheduler.ts). */
export type SchedulerClient = Client<paths>;
type Schemas = components['schemas'];
export type Job = Schemas['Job'];
export type JobDetail = Schemas['JobDetail'];
export type Execution = Schemas['Execution'];
export type ExecutionDetail = Schemas['ExecutionDetail'];
export type ReloadReport = paths['/api/scheduler/reload']['post']['responses']['200']['content']['application/json'];

/**
 * The scheduler's paths (`/api/jobs`, `/api/job/{name}`, …) are Ofelia's, on the box's own host next to
 * `/api/v1` rather than under it, so the base is the box's address itself; the box's bearer token opens them.
 */
export function schedulerClient(options: ClientOptions): SchedulerClient {
  return createClient<paths>({
    baseUrl: options.url.replace(/\/+$/, ''),
    fetch: nodeFetch({ allowSelfsigned: Boolean(options.allowSelfsigned) }),
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
  });
}

type Answer = { data?: unknown; error?: unknown; response: Response };

/** unwrap for the scheduler API: its rate limit (429) says when to try again. */
export async function schedulerUnwrap<A extends Answer>(call: Promise<A>): Promise<Exclude<A['data'], undefined>> {
  const answer = await call;
  const retryAfter = answer.response.status === 429 ? answer.response.headers.get('retry-after') : null;
  if (retryAfter) throw new ApiError(`${apiError(429, answer.error).message} (try again in ${retryAfter} seconds)`, 429, 'RATE_LIMITED');
  return unwrap(Promise.resolve(answer));
}

/** An execution has ended once it is neither waiting for a worker nor running. */
export const executionEnded = (execution: Pick<Execution, 'status'>) => execution.status !== 'queued' && execution.status !== 'running';
