import { CertificateRenewal, RenewalSchedule } from '../../services/certificates/certificate-renewal';
import { RENEW_CERTS_TASK_TYPE } from '../../services/certificates/certificate-tasks';
import type { Config } from '../../services/core/config';
import { NginxCommand, NginxPublisher } from '../../services/proxy/nginx-publisher';
import { NoPublisher } from '../../services/proxy/reverse-proxy';
import { certificateTaskHandlers, scheduleRenewals } from '../../workers/certificate-tasks';
import type { Certificates } from './certificates';
import type { Core } from './core';
import type { Identity } from './identity';
import type { WorkerParts } from './module';
import type { Tasks } from './tasks';

export type Proxy = ReturnType<typeof composeProxy>;

/**
 * The reverse proxy apps and the dashboard are published through: nginx with BERTH_NGINX_CONF, else nothing (apps
 * are reached on their loopback ports). Certificate renewal (`renewcerts`, daily) republishes through it.
 */
export function composeProxy({ config, store, logger }: Core, { notifications }: Identity, { types, tasks }: Tasks, { certificates }: Certificates) {
  const publisher = config.nginx
    ? new NginxPublisher({ config: config.nginx, domains: store.domains, nginx: new NginxCommand(config.nginx), certificates, dashboardUpstream: ownListener(config) })
    : new NoPublisher();
  types.add(RENEW_CERTS_TASK_TYPE);
  const renewal = new CertificateRenewal({ apps: store.apps, certificates, publisher, notifications });
  const workers: WorkerParts = {
    handlers: certificateTaskHandlers(renewal),
    crons: certificates ? [() => scheduleRenewals(new RenewalSchedule({ certificates, tasks, logger }), logger)] : [],
  };
  return { publisher, workers };
}

/** Where nginx reaches Berth's box API: its listener, on loopback when it listens on every address. */
function ownListener(config: Config): string {
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  return `${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}
