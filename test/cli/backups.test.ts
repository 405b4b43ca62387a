import fs from 'node:fs';
import path from 'node:path';
import { addDomain, APPS_ENV, containersOf, testManifest } from '../helpers/apps';
import { errLines, runBerth, startCliBox, type CliBox } from './run-berth';

jest.setTimeout(180_000);

/** An admin's path with the built `berth`: configure the target, back an app up, restore, clone, box backups. */
describe('berth backups and apps backup|restore|clone against a real Docker engine', () => {
  let box: CliBox;
  let home: string;
  let folder: string;
  let appId: string;
  let backupId: string;
  const berth = (args: string[], input?: string) => runBerth(args, { home, input, timeoutMs: 120_000 });
  const sh = async (script: string) => {
    const res = await berth(['apps', 'exec', appId, '--', 'sh', '-c', script]);
    if (res.code !== 0) throw new Error(`${script}: exit ${res.code} ${res.stderr}`);
    return res.stdout;
  };

  beforeAll(async () => {
    box = await startCliBox({ env: APPS_ENV, workers: true, login: true });
    ({ home } = box);
    folder = path.join(box.app.dataDir, 'backups', 'cli');
    await addDomain(box.app, box.token, 'bk.test');
    const manifest = path.join(home, 'web.json');
    fs.writeFileSync(manifest, JSON.stringify(testManifest('web:1')));
    const res = await berth(['apps', 'install', '--manifest', manifest, '--location', 'orig', '--domain', 'bk.test', '--wait', '--json']);
    if (res.code !== 0) throw new Error(`install failed: ${res.stderr}`);
    appId = JSON.parse(res.stdout).id;
  });
  afterAll(() => box.close());

  it('config set stores a checked encrypted target; config shows it with the password redacted', async () => {
    const set = await berth(['backups', 'config', 'set', '--provider', 'filesystem', '--folder', folder, '--format', 'tgz', '--retention', '7d', '--interval', '1d', '--password-stdin'], 'a long backup passphrase\n');
    expect([set.code, set.stderr]).toEqual([0, '']);
    expect(set.stdout).toMatch(/^Stored the backup configuration\./);
    const shown = await berth(['backups', 'config']);
    expect(shown.stdout).toMatch(new RegExp(`^Folder:\\s+${folder}$`, 'm'));
    expect(shown.stdout).toMatch(/^Retention:\s+7d$/m);
    expect(shown.stdout).toMatch(/^Interval:\s+1d$/m);
    expect(shown.stdout).toMatch(/^Encrypted:\s+yes \(password <redacted>\)$/m);
    const json = await berth(['backups', 'config', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ provider: 'filesystem', format: 'tgz', backupFolder: folder, retentionSecs: 604800, intervalSecs: 86400, encrypted: true, encryptedFilenames: false, syncConcurrency: 10, key: '<redacted>', password: '<redacted>' });
    expect(json.stdout + shown.stdout).not.toContain('a long backup passphrase');

    const rsync = await berth(['backups', 'config', 'set', '--format', 'rsync', '--sync-concurrency', '4', '--encrypted-filenames', '--json']);
    expect(JSON.parse(rsync.stdout)).toMatchObject({ format: 'rsync', syncConcurrency: 4, encryptedFilenames: true });
    const back = await berth(['backups', 'config', 'set', '--format', 'tgz', '--no-encrypted-filenames', '--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ format: 'tgz', encryptedFilenames: false });
  });

  it("apps backup --wait backs the app up; apps backups and backups list show it", async () => {
    await sh('echo hello > /app/data/note');
    const res = await berth(['apps', 'backup', 'orig', '--wait']);
    expect([res.code, res.stderr]).toEqual([0, '']);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Backing up orig\.bk\.test \(task \d+\)…$/);
    expect(lines.at(-1)).toBe('Backed up orig.bk.test. berth apps backups orig.bk.test lists its backups.');

    const list = await berth(['apps', 'backups', 'orig', '--json']);
    const backups = JSON.parse(list.stdout);
    expect(backups).toEqual([expect.objectContaining({ type: 'app', identifier: appId, state: 'normal', encrypted: true })]);
    backupId = backups[0].id;
    const all = await berth(['backups', 'list', '--type', 'app', '--json']);
    expect(JSON.parse(all.stdout).map((b: { id: string }) => b.id)).toEqual([backupId]);
    const table = await berth(['backups', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+TYPE\s+APP\s+VERSION\s+STATE\s+SIZE\s+ENCRYPTED\s+CREATED\s+LABEL$/);
    expect(table.stdout).toMatch(new RegExp(`^${backupId}\\s+app\\s+${appId}\\s+1\\.0\\.0\\s+normal\\s+\\S+ \\S+\\s+yes\\s`, 'm'));
    const get = await berth(['backups', 'get', backupId]);
    expect(get.stdout).toMatch(/^Files:\s+config\.json\.enc .*data\.tar\.gz\.enc/m);
  });

  it('apps restore asks for --yes, then --wait brings the data back', async () => {
    await sh('echo changed > /app/data/note');
    const refused = await berth(['apps', 'restore', 'orig', '--backup', backupId]);
    expect([refused.code, errLines(refused)]).toEqual([2, ["berth: restore replaces the app's data: pass --yes to confirm"]]);
    const res = await berth(['apps', 'restore', 'orig', '--backup', backupId, '--wait', '--yes']);
    expect([res.code, res.stderr]).toEqual([0, '']);
    expect(res.stdout.trim().split('\n').at(-1)).toBe(`Restored orig.bk.test from ${backupId}.`);
    expect(await sh('cat /app/data/note')).toBe('hello\n');
  });

  it('apps clone --wait installs a new app with the backup’s data', async () => {
    const res = await berth(['apps', 'clone', 'orig', '--backup', backupId, '--location', 'copy', '--wait', '--json']);
    expect([res.code, res.stderr]).toEqual([0, '']);
    const answer = JSON.parse(res.stdout);
    expect(answer).toMatchObject({ id: expect.any(String), taskId: expect.any(Number), task: { success: true } });
    expect(await containersOf(answer.id)).toHaveLength(1);
    const note = await berth(['apps', 'exec', 'copy.bk.test', 'cat', '/app/data/note']);
    expect([note.code, note.stdout]).toEqual([0, 'hello\n']);
  });

  it('backups create --wait, verify, update, cleanup', async () => {
    const created = await berth(['backups', 'create', '--wait']);
    expect([created.code, created.stderr]).toEqual([0, '']);
    expect(created.stdout.trim().split('\n').at(-1)).toBe('Backed up the box.');
    const [boxBackup] = JSON.parse((await berth(['backups', 'list', '--type', 'box', '--json'])).stdout);
    expect(boxBackup).toMatchObject({ type: 'box', state: 'normal' });

    const verified = await berth(['backups', 'verify', boxBackup.id, '--wait']);
    expect([verified.code, verified.stdout.trim().split('\n').at(-1)]).toEqual([0, `Backup ${boxBackup.id} is intact.`]);
    const drilled = await berth(['backups', 'drill', '--wait']);
    expect([drilled.code, drilled.stdout.trim().split('\n').at(-1)]).toEqual([0, 'Restore drill of the newest backup passed: it restores identically.']);

    const updated = await berth(['backups', 'update', backupId, '--label', 'before the upgrade', '--preserve-secs', '30d', '--json']);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id: backupId, label: 'before the upgrade', preserveSecs: 2592000 });

    const cleaned = await berth(['backups', 'cleanup', '--wait']);
    expect([cleaned.code, cleaned.stdout.trim().split('\n').at(-1)]).toEqual([0, 'Cleaned up backups.']);
    expect(JSON.parse((await berth(['backups', 'list', '--json'])).stdout).map((b: { id: string }) => b.id)).toContain(backupId);
  });

  it('verify --wait of a damaged backup exits 1 naming the file', async () => {
    const instanceId = (await box.app.berth.store.instances.findDefault())!.id;
    const file = path.join(folder, instanceId, backupId, 'data.tar.gz.enc');
    fs.appendFileSync(file, 'tampered');
    const res = await berth(['backups', 'verify', backupId, '--wait']);
    expect(res.code).toBe(1);
    expect(errLines(res)).toEqual([expect.stringMatching(/^berth: task \d+ failed: .*data\.tar\.gz\.enc/)]);
  });

  it('bad cases: an unknown backup, an unusable folder, a missing flag', async () => {
    for (const args of [['backups', 'get', 'app-20200101T000000Z-00000000'], ['backups', 'verify', 'app-20200101T000000Z-00000000']]) {
      const res = await berth(args);
      expect([args, res.code, errLines(res)]).toEqual([args, 1, ['berth: No such backup']]);
    }
    fs.mkdirSync(path.join(box.app.dataDir, 'backups'), { recursive: true });
    fs.writeFileSync(path.join(box.app.dataDir, 'backups', 'plain-file'), 'x');
    const bad = await berth(['backups', 'config', 'set', '--folder', path.join(box.app.dataDir, 'backups', 'plain-file', 'sub')]);
    expect([bad.code, errLines(bad)]).toEqual([1, [expect.stringMatching(/^berth: .*cannot be used: .*(ENOTDIR|EEXIST)/)]]);
    const s3 = await berth(['backups', 'config', 'set', '--provider', 's3', '--bucket', 'b', '--access-key-id', 'a', '--secret-access-key-stdin', '--endpoint', 'ftp://x'], 'secret\n');
    expect([s3.code, errLines(s3)]).toEqual([1, [expect.stringMatching(/^berth: .*endpoint must be an http/)]]);
    const twoSecrets = await berth(['backups', 'config', 'set', '--password-stdin', '--secret-access-key-stdin'], 'x\n');
    expect([twoSecrets.code, errLines(twoSecrets)]).toEqual([2, ['berth: stdin can give only one secret: --password-stdin or --secret-access-key-stdin']]);
    expect(JSON.parse((await berth(['backups', 'config', '--json'])).stdout)).toMatchObject({ provider: 'filesystem', backupFolder: folder });
    const missing = await berth(['apps', 'clone', 'orig', '--backup', backupId]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--location <subdomain>' not specified/);
    const none = await berth(['backups', 'config', 'set']);
    expect([none.code, errLines(none)]).toEqual([2, ['berth: nothing to change: give at least one flag (berth backups config set --help)']]);
  });
});
