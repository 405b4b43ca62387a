import { spawnSync } from 'node:child_process';
import { activate, bearer, createUserWithToken, startTestApp, type TestApp } from '../helpers/app';
import { APPS_ENV, containersOf, execWs, installAndWait, listen, removeEngineObjects, testDocker, testManifest } from '../helpers/apps';

jest.setTimeout(120_000);

/** Each tenant's apps live on the tenant's own network: they reach each other, never another tenant's. */
describe('apps: tenant isolation', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    await removeEngineObjects(app);
    await app.close();
  });

  it('keeps one tenant’s containers and apps out of another’s reach', async () => {
    const ownerA = (await activate(app)).token;
    const other = { id: 'ins-isolation-b', domain: 'b.isolation.test', isDefault: false, createdAt: new Date().toISOString() };
    await app.berth.store.instances.insert(other);
    const ownerB = (await createUserWithToken(app, 'owner', { instanceId: other.id })).token;

    const a1 = await installAndWait(app, ownerA, { manifest: testManifest('web:1'), location: 'a1', domain: 'a.isolation.test' });
    const a2 = await installAndWait(app, ownerA, { manifest: testManifest('web:1'), location: 'a2', domain: 'a.isolation.test' });
    const b1 = await installAndWait(app, ownerB, { manifest: testManifest('web:1'), location: 'b1', domain: 'b.isolation.test' });

    const ip = async (appId: string) => {
      const info = await testDocker().getContainer((await containersOf(appId))[0].Id).inspect();
      return Object.values(info.NetworkSettings.Networks)[0].IPAddress;
    };
    /** What a failed probe needs to be understood: each container's networks and addresses, and the isolation rules. */
    const whereabouts = async () => {
      const rows: Record<string, unknown> = {};
      for (const [name, id] of Object.entries({ a1: a1.id, a2: a2.id, b1: b1.id })) {
        const containers = await containersOf(id);
        rows[name] = await Promise.all(containers.map(async (c) => {
          const nets = (await testDocker().getContainer(c.Id).inspect()).NetworkSettings.Networks;
          return Object.entries(nets).map(([net, n]) => `${c.Id.slice(0, 12)} ${net} ${n.IPAddress}/${n.IPPrefixLen}`);
        }));
      }
      rows.rules = spawnSync('sh', ['-c', 'iptables -S DOCKER-ISOLATION-STAGE-1; iptables -S DOCKER-ISOLATION-STAGE-2'], { encoding: 'utf8' }).stdout;
      return rows;
    };
    const blocked = async (token: string, from: string, to: string) => {
      const reply = (await probe(token, from, await ip(to))).stdout.trim();
      return reply === '' ? { reply } : { reply, ...(await whereabouts()) };
    };
    const probe = async (token: string, from: string, host: string) =>
      execWs(server.url, token, from, ['sh', '-c', `printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} 8080 | tail -1`]);

    // Same tenant: reachable.
    expect((await probe(ownerA, a1.id, await ip(a2.id))).stdout.trim()).toBe('ok');
    // Another tenant: no route, in either direction.
    expect(await blocked(ownerA, a1.id, b1.id)).toEqual({ reply: '' });
    expect(await blocked(ownerB, b1.id, a1.id)).toEqual({ reply: '' });

    // And through the API: a tenant's token sees and touches only its own apps.
    const listB = await app.api.get('/api/v1/apps').set(bearer(ownerB)).expect(200);
    expect(listB.body.apps.map((a: { id: string }) => a.id)).toEqual([b1.id]);
    await app.api.get(`/api/v1/apps/${a1.id}`).set(bearer(ownerB)).expect(404);
    await app.api.post(`/api/v1/apps/${a1.id}/restart`).set(bearer(ownerB)).expect(404);
    await app.api.get(`/api/v1/apps/${a1.id}/logs`).set(bearer(ownerB)).expect(404);
    expect((await execWs(server.url, ownerB, a1.id, ['true'])).status).toBe(404);

    // Each tenant has exactly one network of its own.
    const defaultId = (await app.berth.store.instances.findDefault())!.id;
    const networksOf = async (instanceId: string) => testDocker().listNetworks({ filters: { label: [`io.berth.instance=${instanceId}`] } });
    const [netA, netB] = [await networksOf(defaultId), await networksOf(other.id)];
    expect([netA.length, netB.length]).toEqual([1, 1]);
    expect(netA[0].Id).not.toBe(netB[0].Id);
  });
});
