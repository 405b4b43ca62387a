import { bearer, OWNER, type TestApp } from '../helpers/app';
import { errLines, runBerth, startCliBox, type CliBox } from './run-berth';

/** users, groups, tokens and eventlog with the built `berth`. */
describe('berth users, groups, tokens, eventlog', () => {
  let box: CliBox;
  let app: TestApp;
  let home: string;
  beforeAll(async () => {
    box = await startCliBox({ login: true });
    ({ app, home } = box);
  });
  afterAll(() => box.close());
  const berth = (...args: string[]) => runBerth(args, { home });
  const json = async (...args: string[]) => {
    const res = await runBerth([...args, '--json'], { home });
    if (res.code !== 0) throw new Error(`berth ${args.join(' ')}: ${res.stderr}`);
    return JSON.parse(res.stdout);
  };

  it('adds, invites, updates and removes a user, by id, username or email', async () => {
    const added = await berth('users', 'add', '--email', 'Colleague@Example.com', '--display-name', 'Col League');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Added colleague@example\.com \(uid-[\w-]+, user\)\. Invite them with: berth users invite uid-/);

    const invite = await berth('users', 'invite', 'colleague@example.com');
    expect(invite.stdout).toMatch(/setupaccount\.html\?inviteToken=/);
    const mailed = await berth('users', 'invite', 'colleague@example.com', '--send');
    expect([mailed.code, errLines(mailed).length]).toEqual([1, 1]); // no SMTP relay here: the server's 424 in one line

    const updated = await json('users', 'update', 'colleague@example.com', '--role', 'admin', '--no-active');
    expect(updated).toMatchObject({ role: 'admin', active: false, email: 'colleague@example.com' });
    const list = await json('users', 'list', '--search', 'league');
    expect(list.map((u: { id: string }) => u.id)).toEqual([updated.id]);
    expect((await berth('users', 'update', updated.id)).code).toBe(2);

    expect((await berth('users', 'remove', updated.id)).code).toBe(2); // --yes needed without a terminal
    const removed = await berth('users', 'remove', updated.id, '--yes');
    expect([removed.code, removed.stdout.trim()]).toEqual([0, 'Deleted user colleague@example.com.']);
  });

  it('adds a group, sets its members by username, and removes it', async () => {
    await json('users', 'add', '--email', 'dev@example.com', '--username', 'dev');
    const group = await json('groups', 'add', 'Developers');
    const members = await json('groups', 'members', 'Developers', '--add', 'dev', '--add', OWNER.username);
    expect(members.userIds).toHaveLength(2);
    const fewer = await berth('groups', 'members', group.id, '--remove', 'oksana@example.com');
    expect(fewer.stdout).toMatch(/^uid-\S+\s+dev\s+dev@example\.com$/m);
    expect((await json('groups', 'list')).map((g: { name: string; userIds: string[] }) => [g.name, g.userIds.length])).toEqual([['Developers', 1]]);
    expect((await berth('groups', 'remove', 'Developers')).code).toBe(0);
    expect(await json('groups', 'list')).toEqual([]);
  });

  it('creates a read-only token shown once, lists it without its secret, and revokes it by name', async () => {
    const res = await berth('tokens', 'create', 'ci-script', '--read-only', '--expires', '30d');
    expect(res.code).toBe(0);
    const secret = res.stdout.trim().split('\n').at(-1)!;
    expect(secret).toMatch(/^bt_/);
    await app.api.get('/api/v1/profile').set(bearer(secret)).expect(200);
    await app.api.post('/api/v1/groups').set(bearer(secret)).send({ name: 'x' }).expect(403);

    const list = await berth('tokens', 'list');
    expect(list.stdout).toMatch(/^tid-\S+\s+ci-script\s+api\s+read-only\s+\d{4}-/m);
    expect(list.stdout).not.toContain(secret);
    expect((await berth('tokens', 'revoke', 'ci-script')).code).toBe(0);
    await app.api.get('/api/v1/profile').set(bearer(secret)).expect(401);
    const again = await berth('tokens', 'revoke', 'ci-script');
    expect([again.code, errLines(again)]).toEqual([1, ['berth: no token with id or name "ci-script"']]);
  });

  it('shows the audit log, filtered by action', async () => {
    const events = await json('eventlog', '--action', 'user.login');
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e: { action: string }) => e.action === 'user.login')).toBe(true);
    const table = await berth('eventlog', '--action', 'user.login', '--per-page', '1');
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME\s+ACTION\s+BY\s+TARGET\s+FROM$/);
    expect(table.stdout).toMatch(/user\.login\s+oksana/);
  });

  it('lists, shows and acknowledges notifications', async () => {
    expect((await berth('notifications', 'list')).stdout.trim()).toBe('No unacknowledged notifications.');
    const instanceId = (await app.berth.store.instances.findDefault())!.id;
    const at = new Date().toISOString();
    await app.berth.store.notifications.insert({
      id: 'ntf-cli-1', instanceId, alertKey: 'backups.overdue', eventId: null, title: 'Backups are failing', message: 'No backup has succeeded since yesterday.', acknowledged: false, createdAt: at, updatedAt: at,
    });
    expect((await berth('notifications', 'list')).stdout).toMatch(/^ntf-cli-1\s+\d{4}-\d\d-\d\d [\d:]+\s+no\s+Backups are failing$/m);
    expect((await berth('notifications', 'show', 'ntf-cli-1')).stdout).toContain('No backup has succeeded since yesterday.');
    expect((await berth('notifications', 'ack', 'ntf-cli-1')).stdout.trim()).toBe('Acknowledged: ntf-cli-1.');
    expect(await json('notifications', 'list')).toEqual([]);
    expect(await json('notifications', 'list', '--all')).toMatchObject([{ id: 'ntf-cli-1', acknowledged: true }]);
    const missing = await berth('notifications', 'ack', 'ntf-nope');
    expect([missing.code, errLines(missing)]).toEqual([1, ['berth: No such notification']]);
  });
});
