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
import type { Edge } from './edge';
import type { Identity } from './identity';
import type { Tasks } from './tasks';
import type { Scheduler } from './scheduler';
import type { Tenants } from './tenants';

export type Surfaces = Awaited<ReturnType<typeof composeSurfaces>>;
/** Every module's record, spread into one: each surface takes the services its own deps type names. */
export type SurfaceServices = Identity & Tasks & Domains & Apps & Backups & Cloudron & Tenants & Scheduler;

/** The HTTP side: the box and scheduler surfaces on the main listener, the admin surface on its own. */
export async function composeSurfaces({ config, options, store, redis, docker, clock, logger }: Core, services: SurfaceServices, edge: Edge) {
  const health = new HealthService({
    clock,
    probes: [
      { name: 'database', check: () => store.ping() },
      { name: 'redis', check: () => pingRedis(redis) },
      { name: 'docker', check: async () => void (await docker.ping()) },
    ],
    reports: [
      { name: 'backups', state: async () => ((await services.freshness.overdueCount()) ? 'overdue' : 'ok') },
      // The box's scheduler: the default tenant's, which runs the operator's jobs (stopped through the API, or running).
      {
        name: 'scheduler',
        state: async () => {
          const tenant = await services.schedulerSources.operatorTenant();
          if (!tenant) return 'n/a';
          return (await services.schedulerControl.isRunning(tenant)) ? 'running' : 'stopped';
        },
      },
    ],
  });
  const limits = { bodyLimit: config.bodyLimit };
  const surfaces = [await createBoxSurface(services, limits), await createSchedulerSurface({ ...services, health }, limits)];
  // The admin API counts failed logins apart from the box API's.
  const adminSurface = await createAdminSurface({ ...services, throttle: new LoginThrottle(clock, options.loginLimits) }, limits);
  return {
    surfaces,
    http: createHttpApp({ surfaces, logger, ...edge.http(surfaces) }),
    admin: { http: createHttpApp({ surfaces: [adminSurface], logger, renderError: renderAdminError, docs: false }), surface: adminSurface, passphrase: services.passphrase },
  };
}
