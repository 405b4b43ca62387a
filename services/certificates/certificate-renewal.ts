import { RENEW_CERTS_TASK_TYPE } from './certificate-tasks';
import type { AppRepo } from '../apps/app-repo';
import type { AppPublisher } from '../apps/app-publisher';
import { hostsOf } from '../apps/app-dns-step';
import { BerthError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { TaskContext } from '../tasks/task-handler';
import type { NotificationService } from '../notifications/notification-service';
import type { TaskService } from '../tasks/task-service';
import { covers, type CertificateService } from './certificate-service';

export const RENEWAL_ALERT = 'certificates.renewal';

/**
 * The `renewcerts` task of one tenant: every installed app with a name whose certificate ends within
 * RENEW_BEFORE_DAYS is published again, which issues it anew (CertificateService.current no longer returns it).
 * A certificate is renewed through the first app it serves: a wildcard's other apps share its files, which the
 * reload after issuing covers, so they are not published again (nor is the CA asked again when it refused).
 * A name the CA refuses keeps its old certificate until it expires; the failure is in the task and audit logs,
 * and the tenant's admins are notified (one open notification, updated by each failing run).
 */
export class CertificateRenewal {
  constructor(private readonly deps: { apps: AppRepo; certificates: CertificateService | undefined; publisher: AppPublisher; notifications: Pick<NotificationService, 'notifyAdmins'> }) {}

  async renew(instanceId: string, ctx: Pick<TaskContext, 'log'>): Promise<{ renewed: string[]; failed: string[] }> {
    const { certificates } = this.deps;
    if (!certificates) {
      ctx.log('ACME is off (BERTH_ACME=off or no reverse proxy): nothing to renew');
      return { renewed: [], failed: [] };
    }
    const due = new Set((await certificates.expiring()).filter((c) => c.instanceId === instanceId).map((c) => c.fqdn));
    if (!due.size) ctx.log('no certificate is due for renewal');
    const attempted = new Set<string>();
    for (const app of await this.deps.apps.list(instanceId)) {
      if (app.installationState !== 'installed') continue;
      const names = [...due].filter((name) => !attempted.has(name) && hostsOf(app).some((host) => covers(name, host.fqdn)));
      if (!names.length) continue;
      ctx.log(`renewing ${names.join(', ')} (app ${app.id})`);
      await this.deps.publisher.publish(app, (line) => ctx.log(line)).then(
        () => names.forEach((name) => attempted.add(name)),
        (err: Error) => ctx.log(`app ${app.id} not republished: ${err.message}`),
      );
    }
    const still = (await certificates.expiring()).filter((c) => c.instanceId === instanceId && due.has(c.fqdn));
    if (still.length) await this.notifyFailed(instanceId, still);
    const failed = new Set(still.map((c) => c.fqdn));
    return { renewed: [...due].filter((f) => !failed.has(f)), failed: [...failed] };
  }

  private async notifyFailed(instanceId: string, failed: { fqdn: string; notAfter: string }[]) {
    const lines = failed.map((c) => `${c.fqdn} (expires ${c.notAfter})`);
    await this.deps.notifications.notifyAdmins(instanceId, {
      alertKey: RENEWAL_ALERT,
      title: failed.length === 1 ? `The certificate of ${failed[0].fqdn} could not be renewed` : `${failed.length} certificates could not be renewed`,
      message: `Renewal failed for ${lines.join(', ')}. The renewcerts task's log and the audit log (certificate.renewal_failed) give the CA's reason; renewal is tried again daily.`,
    });
  }
}

/** What the daily cron job runs: a `renewcerts` task for each tenant with a certificate due. */
export class RenewalSchedule {
  constructor(private readonly deps: { certificates: CertificateService | undefined; tasks: Pick<TaskService, 'create'>; logger: Logger }) {}

  async runDue(): Promise<string[]> {
    if (!this.deps.certificates) return [];
    const tenants = [...new Set((await this.deps.certificates.expiring()).map((c) => c.instanceId))];
    const started: string[] = [];
    for (const instanceId of tenants) {
      try {
        await this.deps.tasks.create(RENEW_CERTS_TASK_TYPE, { instanceId, args: { instanceId }, objectKey: `certificates:${instanceId}` });
        started.push(instanceId);
      } catch (err) {
        // One still running (409) will do; anything else is worth a line.
        if (!(err instanceof BerthError && err.status === 409)) this.deps.logger.warn({ err: (err as Error).message, instanceId }, 'starting renewcerts failed');
      }
    }
    return started;
  }
}
