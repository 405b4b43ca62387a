import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { activate, bearer, startTestApp, waitForTask, type TestApp } from '../helpers/app';
import { APPS_ENV, execWs, installAndWait, listen, removeEngineObjects, testManifest, waitForApp } from '../helpers/apps';

jest.setTimeout(240_000);

/** Every path's type, mode and link target, and every file's SHA-256: what a restore must bring back exactly. */
const FINGERPRINT = 'cd /app/data && find . | sort | xargs stat -c "%n %F %a %N" && find . -type f | sort | xargs sha256sum';

/** The rsync format on the filesystem target: round trips, hard links between backups, damage, a full disk. */
describe('rsync backups on a real Docker engine', () => {
  let app: TestApp;
  let token: string;
  let server: Awaited<ReturnType<typeof listen>>;
  let instanceId: string;
  let appId: string;

  beforeAll(async () => {
    app = await startTestApp({ env: APPS_ENV, workers: true });
    token = (await activate(app)).token;
    server = await listen(app);
    instanceId = (await app.berth.store.instances.findDefault())!.id;
    await setConfig({ format: 'rsync', syncConcurrency: 4 });
    appId = (await installAndWait(app, token, { manifest: testManifest('web:1'), location: 'files', domain: 'rsync.test' })).id;
  });
  afterAll(async () => {
    await server?.close();
    await removeEngineObjects(app);
    await app.close();
  });

  const setConfig = async (body: Record<string, unknown>) => app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send(body).expect(200);
  const sh = async (script: string) => {
    const result = await execWs(server.url, token, appId, ['sh', '-c', script]);
    if (result.code !== 0) throw new Error(`${script}: exit ${result.code} ${result.stderr}`);
    return result.stdout;
  };
  const backUp = async () => {
    const res = await app.api.post(`/api/v1/apps/${appId}/backup`).set(bearer(token)).expect(202);
    return waitForTask(app, token, res.body.taskId);
  };
  const backUpOk = async () => {
    const task = await backUp();
    expect(task).toMatchObject({ success: true });
    return (task.result as { backupId: string }).backupId;
  };
  const restore = async (id: string) => {
    const res = await app.api.post(`/api/v1/apps/${appId}/restore`).set(bearer(token)).send({ backupId: id }).expect(202);
    return waitForTask(app, token, res.body.taskId);
  };
  const verify = async (id: string) => {
    const res = await app.api.post(`/api/v1/backups/${id}/verify`).set(bearer(token)).expect(202);
    return waitForTask(app, token, res.body.taskId);
  };
  const folderOf = (id: string, root = path.join(app.dataDir, 'backups')) => path.join(root, instanceId, id);
  const running = async () => expect(await waitForApp(app, token, appId)).toMatchObject({ installationState: 'installed', runState: 'running', error: null });

  let second: string;
  let expected: string;

  it('stores the data file by file, links unchanged files to the previous backup, and restores byte for byte', async () => {
    await sh([
      'mkdir -p /app/data/a/b/c /app/data/empty /app/data/deep/er/still',
      'for i in $(seq 1 60); do echo "small file $i" > /app/data/a/b/f$i; done',
      'head -c 200000 /dev/urandom > /app/data/a/c-medium',
      'head -c 2000000 /dev/urandom > /app/data/large',
      'echo nested > /app/data/deep/er/still/leaf',
      'ln -s a/b/f1 /app/data/link',
      'echo odd > /app/data/odd && chmod 0741 /app/data/odd && chmod 0750 /app/data/empty',
    ].join(' && '));
    const first = await backUpOk();
    const row = (await app.api.get(`/api/v1/backups/${first}`).set(bearer(token)).expect(200)).body;
    expect(row).toMatchObject({ format: 'rsync', encrypted: false, state: 'normal' });
    expect(row.files.map((f: { name: string }) => f.name)).toEqual(['config.json', 'listing.json.gz']);
    expect(fs.readFileSync(path.join(folderOf(first), 'data/a/b/f7'), 'utf8')).toBe('small file 7\n');

    // One small file changed; the large one rewritten with the same size and mtime (found by its checksum).
    await sh('echo changed > /app/data/a/b/f2 && touch -r /app/data/large /tmp/ref && head -c 2000000 /dev/urandom > /app/data/large && touch -r /tmp/ref /app/data/large');
    expected = await sh(FINGERPRINT);
    second = await backUpOk();
    const inode = (id: string, file: string) => fs.statSync(path.join(folderOf(id), 'data', file));
    for (const unchanged of ['a/b/f1', 'a/b/f60', 'a/c-medium', 'deep/er/still/leaf', 'odd']) {
      expect([unchanged, inode(second, unchanged).ino, inode(second, unchanged).nlink]).toEqual([unchanged, inode(first, unchanged).ino, 2]);
    }
    for (const changed of ['a/b/f2', 'large']) {
      expect([changed, inode(second, changed).ino === inode(first, changed).ino, inode(second, changed).nlink]).toEqual([changed, false, 1]);
    }

    await sh('rm -r /app/data/a /app/data/link && echo new > /app/data/extra && chmod 0600 /app/data/odd');
    expect((await restore(second)).success).toBe(true);
    await running();
    expect(await sh(FINGERPRINT)).toBe(expected);
    expect(await sh('stat -c %a /app/data/odd /app/data/empty; readlink /app/data/link; ls -A /app/data/empty | wc -l')).toBe('741\n750\na/b/f1\n0\n');
    expect(await verify(second)).toMatchObject({ success: true });

    // Removing the older backup removes its links only: the newer one still restores.
    await setConfig({ retentionSecs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const cleanup = await app.api.post('/api/v1/backups/cleanup').set(bearer(token)).expect(202);
    expect((await waitForTask(app, token, cleanup.body.taskId)).result).toEqual({ removed: [first] });
    await setConfig({ retentionSecs: 172800 });
    expect(fs.existsSync(folderOf(first))).toBe(false);
    expect(inode(second, 'a/b/f1').nlink).toBe(1);
    await sh('echo gone > /app/data/a/b/f1');
    expect((await restore(second)).success).toBe(true);
    expect(await sh(FINGERPRINT)).toBe(expected);

    // The restore drill reads the rsync listing and finds the scratch restore identical to it.
    const drill = await app.api.post('/api/v1/backups/drill').set(bearer(token)).send({ backupId: second }).expect(202);
    const drilled = await waitForTask(app, token, drill.body.taskId);
    expect(drilled).toMatchObject({ success: true, result: { backupId: second, apps: 1 } });
    expect((drilled.result as { files: number }).files).toBeGreaterThan(50);
  });

  it('fails a restore from a damaged or cut file with the reason, and leaves the app as it was', async () => {
    await sh('echo current > /app/data/marker');
    const damagedFile = path.join(folderOf(second), 'data/a/b/f3');
    const cutFile = path.join(folderOf(second), 'data/large');
    const original = { damaged: fs.readFileSync(damagedFile), cut: fs.readFileSync(cutFile) };
    try {
      fs.writeFileSync(damagedFile, 'small file X\n');
      expect((await restore(second)).error.message).toMatch(/app is unchanged: data\/a\/b\/f3 is corrupted/);
      expect(await verify(second)).toMatchObject({ success: false, error: { message: expect.stringMatching(/data\/a\/b\/f3: its SHA-256 checksum does not match/) } });
      fs.writeFileSync(damagedFile, original.damaged);
      fs.writeFileSync(cutFile, original.cut.subarray(0, 1000));
      expect((await restore(second)).error.message).toMatch(/app is unchanged: data\/large is truncated/);
      await running();
      expect(await sh('cat /app/data/marker')).toBe('current\n');
    } finally {
      fs.writeFileSync(damagedFile, original.damaged);
      fs.writeFileSync(cutFile, original.cut);
    }
  });

  it('encrypts file by file, hides the names, links across encrypted backups, and refuses a wrong key', async () => {
    await setConfig({ password: 'an rsync backup password', encryptedFilenames: true });
    const first = await backUpOk();
    await sh('echo changed again > /app/data/a/b/f5');
    expected = await sh(FINGERPRINT);
    const next = await backUpOk();
    const row = (await app.api.get(`/api/v1/backups/${next}`).set(bearer(token)).expect(200)).body;
    expect(row).toMatchObject({ format: 'rsync', encrypted: true });
    expect(row.files.map((f: { name: string }) => f.name)).toEqual(['config.json.enc', 'listing.json.gz.enc']);
    const names = fs.readdirSync(path.join(folderOf(next), 'data'));
    expect(names.every((n) => /^[0-9a-f]{32}\.enc$/.test(n))).toBe(true);
    // Every data file but the changed one is the previous backup's, linked.
    const inodes = (id: string) => new Set(fs.readdirSync(path.join(folderOf(id), 'data')).map((n) => fs.statSync(path.join(folderOf(id), 'data', n)).ino));
    const before = inodes(first);
    expect([...inodes(next)].filter((ino) => !before.has(ino))).toHaveLength(1);

    await sh('rm -r /app/data/*');
    expect((await restore(next)).success).toBe(true);
    await running();
    expect(await sh(FINGERPRINT)).toBe(expected);

    await setConfig({ password: 'not the rsync backup password' });
    await sh('echo current > /app/data/marker');
    expect((await restore(next)).error.message).toMatch(/app is unchanged: .*encrypted with a different key/);
    expect(await sh('cat /app/data/marker')).toBe('current\n');
    await setConfig({ password: null, encryptedFilenames: false });
  });

  describe('a full backup disk', () => {
    let mountPoint: string;
    let mounted = false;
    beforeAll(() => {
      mountPoint = path.join(app.dataDir, 'backups', 'full');
      fs.mkdirSync(mountPoint, { recursive: true });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'pipe' });
        mounted = true;
      } catch (err) {
        console.warn(`skipping the full-disk tests: mounting a 2 MB tmpfs is not permitted here (${(err as Error).message.trim()})`);
      }
    });
    afterAll(async () => {
      await setConfig({ backupFolder: path.join(app.dataDir, 'backups') });
      if (mounted) execFileSync('umount', [mountPoint]);
    });

    it.each(['tgz', 'rsync'])('fails a %s backup cleanly when the target is full, and older backups still restore', async (format) => {
      if (!mounted) return;
      await setConfig({ backupFolder: mountPoint, format });
      await sh('rm -rf /app/data/* && echo small > /app/data/keep');
      const older = await backUpOk();
      await sh('head -c 3000000 /dev/urandom > /app/data/too-big');

      const task = await backUp();
      expect(task).toMatchObject({ success: false, error: { message: expect.stringMatching(/no space left on device/i) } });
      await running();
      const [failed] = (await app.api.get(`/api/v1/apps/${appId}/backups`).set(bearer(token)).expect(200)).body.backups;
      expect(failed).toMatchObject({ state: 'error', error: expect.stringMatching(/no space left/i) });
      // Nothing of the failed backup is left on the target, not even a half-written file.
      const left = fs.readdirSync(path.join(mountPoint, instanceId), { recursive: true }).map(String);
      expect(left).toContain(older);
      expect(left.filter((f) => f.startsWith(failed.id) || f.endsWith('.partial'))).toEqual([]);

      expect((await restore(older)).success).toBe(true);
      await running();
      expect(await sh('ls /app/data; cat /app/data/keep')).toBe('keep\nsmall\n');
    });
  });
});
