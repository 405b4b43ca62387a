import { renderAdminError } from '../../api/admin/errors';
import { createAdminSurface } from '../../api/admin/surface';
import { createBoxSurface } from '../../api/box/surface';
import { createHttpApp } from '../../api/http/app';
import { createSchedulerSurface } from '../../api/scheduler/surface';
import { LoginThrottle } from '../../services/auth/login-throttle';
import { HealthService } from '../../services/health/health-service';
import { pingRedis } from '../../services/queue/redis';
import type { Apps } from './apps';
import type { Backups } from './backups';
import type { Cloudron } from './cloudron';
import type { Core } from './core';
import type { Domains } from './domains';
import type { Identity } from './identity';
import type { Tasks } from './tasks';
import type { Tenants } from './tenants';

export type Surfaces = Awaited<ReturnType<typeof composeSurfaces>>;

/** The HTTP side: the box and scheduler surfaces on the main listener, the admin surface on its own. */
export async function composeSurfaces(
  { config, options, store, redis, docker, clock, logger }: Core,
  identity: Identity,
  { tasks }: Tasks,
  { domains }: Domains,
  { apps, catalogue }: Apps,
  { backups, freshness }: Backups,
  { cloudron, restore, setup, invitations }: Cloudron,
  { tenants, contexts, fsck, exporter, passphrase }: Tenants,
) {
  const { instances, profile, tokens, users, groups, eventlog, settings, notifications } = identity;
  const health = new HealthService({
    clock,
    probes: [
      { name: 'database', check: () => store.ping() },
      { name: 'redis', check: () => pingRedis(redis) },
      { name: 'docker', check: async () => void (await docker.ping()) },
    ],
    reports: [{ name: 'backups', state: async () => ((await freshness.overdueCount()) ? 'overdue' : 'ok') }],
  });
  const limits = { bodyLimit: config.bodyLimit };
  const surfaces = [
    await createBoxSurface(
      { instances, cloudron, restore, setup, profile, tokens, tasks, users, invitations, groups, eventlog, settings, apps, catalogue, domains, backups, notifications },
      limits,
    ),
    await createSchedulerSurface(health, limits),
  ];
  // The admin API's own throttle: the operator's failed logins never lock a tenant's users out, nor the reverse.
  const adminSurface = await createAdminSurface(
    { passphrase, throttle: new LoginThrottle(clock, options.loginLimits), tenants, contexts, fsck, exporter, tasks },
    limits,
  );
  return {
    surfaces,
    http: createHttpApp({ surfaces, logger }),
    admin: { http: createHttpApp({ surfaces: [adminSurface], logger, renderError: renderAdminError, docs: false }), surface: adminSurface, passphrase },
  };
}
