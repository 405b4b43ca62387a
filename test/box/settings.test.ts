import { activate, bearer, createUserWithToken, startTestApp, type TestApp } from '../helpers/app';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]);

describe('settings: name, time zone, avatar', () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp();
    token = (await activate(app)).token;
  });
  afterAll(() => app.close());

  it('sets the name, which the status shows', async () => {
    expect((await app.api.get('/api/v1/settings/cloudron_name').set(bearer(token)).expect(200)).body).toEqual({ name: 'Berth' });
    await app.api.post('/api/v1/settings/cloudron_name').set(bearer(token)).send({ name: '  Ma Boîte 🚢 ' }).expect(200);
    expect((await app.api.get('/api/v1/settings/cloudron_name').set(bearer(token)).expect(200)).body.name).toBe('Ma Boîte 🚢');
    expect((await app.api.get('/api/v1/cloudron/status').expect(200)).body.cloudronName).toBe('Ma Boîte 🚢');
    await app.api.post('/api/v1/settings/cloudron_name').set(bearer(token)).send({ name: '   ' }).expect(400);
    await app.api.post('/api/v1/settings/cloudron_name').set(bearer(token)).send({ name: 'x'.repeat(65) }).expect(400);
  });

  it('accepts IANA time zones only', async () => {
    expect((await app.api.get('/api/v1/settings/time_zone').set(bearer(token)).expect(200)).body).toEqual({ timeZone: 'UTC' });
    await app.api.post('/api/v1/settings/time_zone').set(bearer(token)).send({ timeZone: 'Europe/Berlin' }).expect(200);
    expect((await app.api.get('/api/v1/settings/time_zone').set(bearer(token)).expect(200)).body.timeZone).toBe('Europe/Berlin');
    for (const bad of ['Mars/Olympus', 'GMT+25', '../etc/passwd', '']) {
      await app.api.post('/api/v1/settings/time_zone').set(bearer(token)).send({ timeZone: bad }).expect(400);
    }
  });

  it('stores an avatar checked by its bytes and serves it with its content type', async () => {
    await app.api.get('/api/v1/settings/cloudron_avatar').set(bearer(token)).expect(404);
    await app.api.post('/api/v1/settings/cloudron_avatar').set(bearer(token)).attach('avatar', PNG, 'a.png').expect(200);
    const png = await app.api.get('/api/v1/settings/cloudron_avatar').set(bearer(token)).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(png.body as Buffer, PNG)).toBe(0);

    await app.api.post('/api/v1/settings/cloudron_avatar').set(bearer(token)).attach('avatar', JPEG, 'looks.png').expect(200);
    expect((await app.api.get('/api/v1/settings/cloudron_avatar').set(bearer(token)).expect(200)).headers['content-type']).toBe('image/jpeg');

    const notImage = await app.api.post('/api/v1/settings/cloudron_avatar').set(bearer(token)).attach('avatar', Buffer.from('<svg/>'), 'x.png').expect(400);
    expect(notImage.body.message).toBe('avatar must be a PNG or JPEG image');
    const big = Buffer.concat([PNG, Buffer.alloc(600 * 1024)]);
    await app.api.post('/api/v1/settings/cloudron_avatar').set(bearer(token)).attach('avatar', big, 'big.png').expect(400);
    await app.api.post('/api/v1/settings/cloudron_avatar').set(bearer(token)).attach('avatar', Buffer.alloc(2 * 1024 * 1024), 'huge.png').expect(413);
    await app.api.post('/api/v1/settings/cloudron_avatar').set(bearer(token)).send({ avatar: 'x' }).expect(400);
    // The last good avatar is still there.
    expect((await app.api.get('/api/v1/settings/cloudron_avatar').set(bearer(token)).expect(200)).headers['content-type']).toBe('image/jpeg');
  });

  it('is for admins', async () => {
    const user = await createUserWithToken(app, 'usermanager');
    await app.api.get('/api/v1/settings/time_zone').set(bearer(user.token)).expect(403);
    await app.api.post('/api/v1/settings/cloudron_avatar').set(bearer(user.token)).attach('avatar', PNG, 'a.png').expect(403);
  });
});
