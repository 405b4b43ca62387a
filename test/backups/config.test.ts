import fs from 'node:fs';
import path from 'node:path';
import { activate, bearer, createUserWithToken, startTestApp, type TestApp } from '../helpers/app';

describe('backup configuration', () => {
  let app: TestApp;
  let token: string;
  let root: string;
  beforeAll(async () => {
    app = await startTestApp();
    token = (await activate(app)).token;
    root = path.join(app.dataDir, 'backups');
  });
  afterAll(() => app.close());

  const get = () => app.api.get('/api/v1/settings/backup_config').set(bearer(token));
  const set = (body: Record<string, unknown>) => app.api.post('/api/v1/settings/backup_config').set(bearer(token)).send(body);

  it('starts with a filesystem target in the data dir, unencrypted', async () => {
    const res = await get().expect(200);
    expect(res.body).toEqual({
      provider: 'filesystem', format: 'tgz', backupFolder: root, retentionSecs: 172800, intervalSecs: 86400, encrypted: false, encryptedFilenames: false, syncConcurrency: 10,
    });
  });

  it('stores a checked configuration and never shows the password', async () => {
    const folder = path.join(root, 'nightly');
    await set({ provider: 'filesystem', format: 'targz', backupFolder: folder, retentionSecs: 604800, intervalSecs: 21600, password: 'a long secret phrase' }).expect(200);
    const res = await get().expect(200);
    expect(res.body).toEqual({
      provider: 'filesystem', format: 'tgz', backupFolder: folder, retentionSecs: 604800, intervalSecs: 21600, encrypted: true, key: '<redacted>', password: '<redacted>',
      encryptedFilenames: false, syncConcurrency: 10,
    });
    expect(JSON.stringify(res.body)).not.toContain('a long secret phrase');
    // The live check left nothing behind but the tenant's folder.
    const instanceId = (await app.berth.store.instances.findDefault())!.id;
    expect(fs.readdirSync(path.join(folder, instanceId))).toEqual([]);

    // Sending the placeholder back (or leaving the password out) keeps it; null turns encryption off.
    await set({ key: '<redacted>', retentionSecs: 3600 }).expect(200);
    expect((await get()).body).toMatchObject({ encrypted: true, retentionSecs: 3600 });
    const stored = await app.berth.store.settings.get<{ password: string }>(instanceId, 'backup_config');
    expect(stored?.password).toBe('a long secret phrase');
    await set({ password: null }).expect(200);
    expect((await get()).body.encrypted).toBe(false);

    // The audit log says what changed, and not the password.
    const events = await app.api.get('/api/v1/eventlog?action=backups.config').set(bearer(token)).expect(200);
    expect(events.body.eventlogs.map((e: { data: unknown }) => e.data)).toContainEqual({ changes: expect.objectContaining({ encryption: 'set' }) });
    expect(JSON.stringify(events.body)).not.toContain('a long secret phrase');
  });

  it('refuses bad input with 400 naming the problem', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ intervalSecs: 3600 }, /intervalSecs/],
      [{ retentionSecs: 0 }, /retentionSecs/],
      [{ format: 'zip' }, /format/],
      [{ format: 'rsync', encryptedFilenames: true, password: null }, /encryptedFilenames needs an encryption password/],
      [{ syncConcurrency: 0 }, /syncConcurrency/],
      [{ provider: 'gcs', bucket: 'b' }, /provider gcs is not supported yet/],
      [{ provider: 'wasabi', accessKeyId: 'a', secretAccessKey: 's' }, /bucket is required/],
      [{ provider: 's3', accessKeyId: 'a', secretAccessKey: 's' }, /bucket is required/],
      [{ provider: 's3', bucket: 'b', accessKeyId: 'a', secretAccessKey: 's', endpoint: 'ftp://x' }, /endpoint must be an http/],
      [{ backupFolder: 'relative/dir' }, /absolute path/],
      [{ backupFolder: '/etc/berth-backups' }, /must be inside/],
      [{ password: 'short' }, /at least 8 characters/],
      [{ key: 'one long password', password: 'another long one' }, /not both/],
      [{ unknownField: 1 }, /unknownField/],
    ];
    for (const [body, message] of cases) {
      const res = await set(body);
      expect([body, res.status, res.body.message]).toEqual([body, 400, expect.stringMatching(message)]);
    }
  });

  it('takes format rsync with its options, and keeps them', async () => {
    await set({ format: 'rsync', syncConcurrency: 4, password: 'a long secret phrase', encryptedFilenames: true }).expect(200);
    expect((await get()).body).toMatchObject({ format: 'rsync', syncConcurrency: 4, encryptedFilenames: true, encrypted: true });
    await set({ retentionSecs: 7200 }).expect(200);
    expect((await get()).body).toMatchObject({ format: 'rsync', syncConcurrency: 4, encryptedFilenames: true });
    await set({ format: 'tgz', encryptedFilenames: false, password: null }).expect(200);
  });

  it('refuses a folder it cannot write to, and keeps the old configuration', async () => {
    const before = (await get()).body;
    // A folder "inside" a regular file can never be created, whoever runs the tests.
    fs.writeFileSync(path.join(root, 'plain-file'), 'x');
    const res = await set({ backupFolder: path.join(root, 'plain-file', 'sub') }).expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/cannot be used: .*ENOTDIR|EEXIST/) });
    expect((await get()).body).toEqual(before);
  });

  it('is for admins only', async () => {
    const { token: user } = await createUserWithToken(app, 'user');
    await app.api.get('/api/v1/settings/backup_config').set(bearer(user)).expect(403);
    await app.api.post('/api/v1/settings/backup_config').set(bearer(user)).send({ retentionSecs: 10 }).expect(403);
    await app.api.get('/api/v1/backups').set(bearer(user)).expect(403);
  });

  it('lets tenants name only the S3 endpoints the operator allows, when the operator lists them', async () => {
    const limited = await startTestApp({ env: { BERTH_BACKUP_S3_ENDPOINTS: 'https://s3.example.com, http://127.0.0.1:1' } });
    try {
      const owner = (await activate(limited)).token;
      const res = await limited.api.post('/api/v1/settings/backup_config').set(bearer(owner))
        .send({ provider: 's3', bucket: 'b', accessKeyId: 'a', secretAccessKey: 's', endpoint: 'http://169.254.169.254/latest' })
        .expect(400);
      expect(res.body.message).toMatch(/endpoint http:\/\/169.254.169.254 is not one the operator allows \(https:\/\/s3.example.com, http:\/\/127.0.0.1:1\)/);
      // An allowed one is tried (and here nothing listens there: the live check says so).
      const tried = await limited.api.post('/api/v1/settings/backup_config').set(bearer(owner))
        .send({ provider: 's3', bucket: 'b', accessKeyId: 'a', secretAccessKey: 's', endpoint: 'http://127.0.0.1:1' })
        .expect(400);
      expect(tried.body.message).toMatch(/The bucket b cannot be used/);
      // An S3-family service without an endpoint means its own, which the operator must allow too.
      const wasabi = await limited.api.post('/api/v1/settings/backup_config').set(bearer(owner))
        .send({ provider: 'wasabi', region: 'eu-central-1', bucket: 'b', accessKeyId: 'a', secretAccessKey: 's' })
        .expect(400);
      expect(wasabi.body.message).toMatch(/endpoint https:\/\/s3.eu-central-1.wasabisys.com is not one the operator allows/);
      const spaces = await limited.api.post('/api/v1/settings/backup_config').set(bearer(owner))
        .send({ provider: 'digitalocean-spaces', bucket: 'b', accessKeyId: 'a', secretAccessKey: 's' })
        .expect(400);
      expect(spaces.body.message).toMatch(/endpoint https:\/\/nyc3.digitaloceanspaces.com is not/);
    } finally {
      await limited.close();
    }
  });
});
