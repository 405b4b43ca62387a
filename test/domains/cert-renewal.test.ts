import { RenewalSchedule, CertificateRenewal } from '../../services/certificates/certificate-renewal';
import { CertificateService, covers, directoryUrlOf } from '../../services/certificates/certificate-service';
import type { CertificateRepo, StoredCertificate } from '../../services/certificates/certificate-repo';
import type { App } from '../../services/apps/app-repo';
import type { AppRepo } from '../../services/apps/app-repo';
import type { EventlogService } from '../../services/eventlog/eventlog-service';
import { createLogger } from '../../services/core/logger';

const DAY = 86_400_000;

/** Renewal's timing with an injected clock: nothing is due until 30 days before the end, then a task per tenant. */
describe('certificate renewal schedule', () => {
  const issuedAt = Date.parse('2026-01-01T00:00:00Z');
  let now = issuedAt;
  const stored: StoredCertificate = {
    instanceId: 'inst-a', fqdn: 'web.a.test', cert: 'PEM', key: 'KEY', issuer: 'CN=Test CA', notAfter: new Date(issuedAt + 90 * DAY).toISOString(), updatedAt: '',
  };
  const repo = {
    get: async (instanceId: string, fqdn: string) => (instanceId === stored.instanceId && fqdn === stored.fqdn ? stored : undefined),
    list: async () => [stored],
    expiringBefore: async (before: string) => (stored.notAfter < before ? [stored] : []),
  } as unknown as CertificateRepo;
  const certificates = new CertificateService({
    repo, issuer: { issue: jest.fn(), issueByDns: jest.fn(), createAccountKey: jest.fn() }, dnsChallenges: { of: jest.fn() }, eventlog: {} as EventlogService, clock: () => new Date(now),
  });
  const created: unknown[] = [];
  const schedule = new RenewalSchedule({ certificates, tasks: { create: async (type, t) => (created.push({ ...t, type: type.name }), { id: 1 }) as never }, logger: createLogger('silent') });

  it('starts renewcerts only from 30 days before the end', async () => {
    now = issuedAt + 59 * DAY;
    expect(await schedule.runDue()).toEqual([]);
    now = issuedAt + 61 * DAY;
    expect(await schedule.runDue()).toEqual(['inst-a']);
    expect(created).toEqual([{ instanceId: 'inst-a', type: 'renewcerts', args: { instanceId: 'inst-a' }, objectKey: 'certificates:inst-a' }]);
  });

  it('the task republishes the apps whose names are due, and reports what is still due', async () => {
    now = issuedAt + 61 * DAY;
    const app = { id: 'app-1', instanceId: 'inst-a', fqdn: 'web.a.test', domain: 'a.test', subdomain: 'web', alternateDomains: [], installationState: 'installed' } as unknown as App;
    const other = { ...app, id: 'app-2', fqdn: 'other.a.test', subdomain: 'other' } as unknown as App;
    const publish = jest.fn(async () => undefined);
    const notifyAdmins = jest.fn(async () => ({}) as never);
    const renewal = new CertificateRenewal({ apps: { list: async () => [app, other] } as unknown as AppRepo, certificates, publisher: { publish, unpublish: jest.fn() }, notifications: { notifyAdmins } });
    const lines: string[] = [];
    // The fake publisher issues nothing: the name stays due and is reported as failed.
    expect(await renewal.renew('inst-a', { log: (l) => lines.push(l) })).toEqual({ renewed: [], failed: ['web.a.test'] });
    expect(publish).toHaveBeenCalledTimes(1);
    expect(publish.mock.calls[0]).toEqual([app, expect.any(Function)]);
    expect(lines[0]).toBe('renewing web.a.test (app app-1)');
    // The admins hear of it: one notification per condition, naming the name and when it expires.
    expect(notifyAdmins).toHaveBeenCalledWith('inst-a', {
      alertKey: 'certificates.renewal',
      title: 'The certificate of web.a.test could not be renewed',
      message: expect.stringContaining(`web.a.test (expires ${stored.notAfter})`),
    });
  });

  it('maps tlsConfig providers to ACME directories', () => {
    expect(directoryUrlOf({ provider: 'letsencrypt-prod', wildcard: false })).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(directoryUrlOf({ provider: 'acme', wildcard: false, acmeDirectoryUrl: 'https://ca.example/dir' })).toBe('https://ca.example/dir');
    expect(directoryUrlOf({ provider: 'fallback', wildcard: false })).toBeNull();
  });

  it('a wildcard certificate covers its domain and names one label under it, no deeper', () => {
    expect(covers('*.a.test', 'a.test')).toBe(true);
    expect(covers('*.a.test', 'web.a.test')).toBe(true);
    expect(covers('*.a.test', 'x.web.a.test')).toBe(false);
    expect(covers('*.a.test', 'web.ba.test')).toBe(false);
    expect(covers('web.a.test', 'web.a.test')).toBe(true);
    expect(covers('web.a.test', 'other.a.test')).toBe(false);
    const wildcardDomain = { domain: 'a.test', tlsConfig: { provider: 'acme', wildcard: true, acmeDirectoryUrl: 'https://ca.example/dir' } } as never;
    expect(certificates.nameFor(wildcardDomain, 'web.a.test')).toBe('*.a.test');
    expect(certificates.nameFor(wildcardDomain, 'x.web.a.test')).toBe('x.web.a.test');
    expect(certificates.nameFor({ domain: 'a.test', tlsConfig: { provider: 'acme', wildcard: false, acmeDirectoryUrl: 'https://ca.example/dir' } } as never, 'web.a.test')).toBe('web.a.test');
  });
});
