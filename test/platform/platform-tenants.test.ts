import { startTestApp, type TestApp } from '../helpers/app';
import { testDocker } from '../helpers/engine';
import type { PlatformSpec } from '../../services/platform/platform-spec';

jest.setTimeout(120_000);

const ADMIN = { Authorization: `Basic ${Buffer.from('admin:correct horse battery staple').toString('base64')}` };
const DOMAIN = 'platform.tenant.test';

/** Platform containers belong to their tenant: apps' reconciliation and fsck leave them alone, deletion removes them. */
describe('platform containers and tenants', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ workers: true });
    await app.berth.admin.passphrase.set('correct horse battery staple');
  });
  afterAll(async () => {
    await app.close();
  });

  it('are no app\'s orphans, and go with their tenant, volumes and all', async () => {
    const created = await app.admin.post('/instances').set(ADMIN).send({ domain: DOMAIN, email: `owner@${DOMAIN}` }).expect(201);
    const instanceId: string = created.body.data.id;
    const spec: PlatformSpec = {
      module: 'testmod',
      name: 'server',
      instanceId,
      image: 'berth/busybox:1',
      cmd: ['sleep', '100000'],
      volumes: [{ name: 'data', path: '/data' }],
      network: 'tenant',
    };
    const { id } = await app.berth.platform.ensure(spec);

    // The reconciler, even removing orphans, and fsck see no app container in it.
    const report = await app.berth.reconciler.reconcile({ removeOrphans: true });
    expect(report.orphans.map((o) => o.id)).not.toContain(id);
    expect(report.removed).not.toContain(id);
    expect((await app.berth.platform.state(spec))?.running).toBe(true);
    await app.admin.get(`/instances/${DOMAIN}/fsck`).set(ADMIN).expect(200).expect((r) => expect(r.text).toBe(''));
    const fixed = await app.admin.post(`/instances/${DOMAIN}/fixers/orphan-containers`).set(ADMIN).send({ dry_run: false }).expect(200);
    expect(fixed.body.fixed).toEqual([]);

    // Deleting the tenant removes the container, its volume and (after them) the tenant network.
    await app.admin.delete(`/instances/${DOMAIN}`).set(ADMIN).expect(202);
    while ((await app.admin.get(`/instances/${DOMAIN}`).set(ADMIN)).status !== 404) await new Promise((r) => setTimeout(r, 100));
    expect(await app.berth.platform.list(instanceId)).toEqual([]);
    const label = { label: [`io.berth.instance=${instanceId}`] };
    expect(await testDocker().listContainers({ all: true, filters: label })).toEqual([]);
    expect((await testDocker().listVolumes({ filters: label })).Volumes ?? []).toEqual([]);
    expect(await testDocker().listNetworks({ filters: label })).toEqual([]);
  });
});
