import { unwrap, type BoxClient } from './api';
import { ApiError } from './errors';
import type { App, Group, User } from './types';

/**
 * An app named by its id, its address (`site.example.com`) or its location (`site`, when only one app has
 * it). An unknown one fails with the server's 404 message and what was looked for.
 */
export async function resolveApp(api: BoxClient, ref: string): Promise<App> {
  const direct = await api.GET('/apps/{appId}', { params: { path: { appId: ref } } });
  if (direct.data) return direct.data;
  if (direct.response.status !== 404) return unwrap(Promise.resolve(direct));
  const { apps } = await unwrap(api.GET('/apps'));
  const byFqdn = apps.filter((a) => a.fqdn === ref);
  const matches = byFqdn.length ? byFqdn : apps.filter((a) => a.location === ref);
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new ApiError(`more than one app has location "${ref}": use its id or address (berth apps list)`, 409, 'AMBIGUOUS');
  throw new ApiError(`no app with id, address or location "${ref}" (berth apps list shows them)`, 404, 'NOT_FOUND');
}

/** A user named by id, username or email. */
export async function resolveUser(api: BoxClient, ref: string): Promise<User> {
  const direct = await api.GET('/users/{userId}', { params: { path: { userId: ref } } });
  if (direct.data) return direct.data;
  if (direct.response.status !== 404) return unwrap(Promise.resolve(direct));
  const { users } = await unwrap(api.GET('/users', { params: { query: { search: ref, per_page: 1000 } } }));
  const lower = ref.toLowerCase();
  const found = users.find((u) => u.username === lower || u.email === lower);
  if (found) return found;
  throw new ApiError(`no user with id, username or email "${ref}"`, 404, 'NOT_FOUND');
}

/** A group named by id or name. */
export async function resolveGroup(api: BoxClient, ref: string): Promise<Group> {
  const direct = await api.GET('/groups/{groupId}', { params: { path: { groupId: ref } } });
  if (direct.data) return direct.data;
  if (direct.response.status !== 404) return unwrap(Promise.resolve(direct));
  const { groups } = await unwrap(api.GET('/groups'));
  const found = groups.filter((g) => g.name === ref || g.name.toLowerCase() === ref.toLowerCase());
  if (found.length === 1) return found[0];
  if (found.length > 1) throw new ApiError(`more than one group is called "${ref}": use its id (berth groups list)`, 409, 'AMBIGUOUS');
  throw new ApiError(`no group with id or name "${ref}"`, 404, 'NOT_FOUND');
}
