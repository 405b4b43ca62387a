import fs from 'node:fs';
import path from 'node:path';
import { errLines, runBerth, startCliBox, type CliBox } from './run-berth';

/** `berth domains …` with the built binary against a real server. */
describe('berth domains', () => {
  let box: CliBox;
  beforeAll(async () => {
    box = await startCliBox({ login: true });
  });
  afterAll(() => box.close());
  const berth = (...args: string[]) => runBerth(args, { home: box.home });

  it('adds, lists, shows, updates and removes a domain', async () => {
    const added = await berth('domains', 'add', 'cli.example.test', '--provider', 'manual');
    expect([added.code, added.stdout.trim()]).toEqual([0, 'Added cli.example.test (manual).']);

    const list = await berth('domains', 'list', '--json');
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ domain: 'cli.example.test', provider: 'manual', zoneName: 'cli.example.test' })]);
    expect((await berth('domains', 'list')).stdout).toMatch(/^DOMAIN\s+ZONE\s+PROVIDER\s+TLS\ncli\.example\.test\s+cli\.example\.test\s+manual\s+\S+\n$/);
    expect((await berth('domains', 'get', 'cli.example.test')).stdout).toMatch(/provider\s+manual/);

    const updated = await berth('domains', 'update', 'cli.example.test', '--provider', 'noop');
    expect(updated.code).toBe(0);
    expect(JSON.parse((await berth('domains', 'get', 'cli.example.test', '--json')).stdout)).toMatchObject({ provider: 'noop' });

    expect((await berth('domains', 'remove', 'cli.example.test')).code).toBe(2); // --yes needed without a terminal
    const removed = await berth('domains', 'remove', 'cli.example.test', '--yes');
    expect([removed.code, removed.stdout.trim()]).toEqual([0, 'Removed cli.example.test.']);
    expect(JSON.parse((await berth('domains', 'list', '--json')).stdout)).toEqual([]);
  });

  it('says in one line what is wrong', async () => {
    const invalid = await berth('domains', 'add', 'not a domain');
    expect(invalid.code).toBe(1);
    expect(errLines(invalid)).toHaveLength(1);

    const unreachable = await berth('domains', 'add', 'dns.example.test', '--provider', 'rfc2136',
      '--config', 'server=127.0.0.1', '--config', 'port=9', '--config', 'keyName=berth', '--config', 'algorithm=hmac-sha256', '--config', 'secret=c2VjcmV0');
    expect(unreachable.code).toBe(1);
    expect(errLines(unreachable)).toHaveLength(1);
    expect(unreachable.stderr).not.toMatch(/c2VjcmV0/);

    expect((await berth('domains', 'add', 'x.example.test', '--provider', 'bind')).code).toBe(2);
    expect((await berth('domains', 'add', 'x.example.test', '--config', 'novalue')).code).toBe(2);
    const file = path.join(box.home, 'config.json');
    fs.writeFileSync(file, '{not json');
    expect((await berth('domains', 'add', 'x.example.test', '--config-file', file)).code).toBe(2);
    const missing = await berth('domains', 'get', 'nowhere.example.test');
    expect([missing.code, errLines(missing).length]).toEqual([1, 1]);
  });
});
