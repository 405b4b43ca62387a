import { activate, bearer, startTestApp, type TestApp } from '../helpers/app';
import { linkIn, startSmtpServer } from '../helpers/smtp';

async function waitForMail(mails: unknown[], count: number) {
  for (let i = 0; i < 200 && mails.length < count; i++) await new Promise((r) => setTimeout(r, 25));
  expect(mails).toHaveLength(count);
}

describe('invitations and password resets by mail', () => {
  let app: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let owner: string;
  beforeEach(async () => {
    smtp = await startSmtpServer();
    app = await startTestApp({ env: { BERTH_SMTP_URL: smtp.url, BERTH_PUBLIC_URL: 'https://box.example.test' } });
    owner = (await activate(app)).token;
  });
  afterEach(async () => {
    await app.close();
    await smtp.close();
  });

  it('invites a colleague by mail; they set a password from the link and log in', async () => {
    const user = await app.api.post('/api/v1/users').set(bearer(owner)).send({ email: 'colleague@example.com', displayName: 'Col League' }).expect(201);
    await app.api.post(`/api/v1/users/${user.body.id}/send_invite`).set(bearer(owner)).expect(200);
    await waitForMail(smtp.mails, 1);
    expect(smtp.mails[0].to).toEqual(['colleague@example.com']);
    const link = new URL(linkIn(smtp.mails[0]));
    expect(link.origin + link.pathname).toBe('https://box.example.test/setupaccount.html');
    const inviteToken = link.searchParams.get('inviteToken')!;

    const setup = await app.api.post('/api/v1/cloudron/setup_account').send({ inviteToken, username: 'colleague', password: 'colleague-pw-1' }).expect(200);
    await app.api.get('/api/v1/profile').set(bearer(setup.body.token)).expect(200).then((r) => expect(r.body).toMatchObject({ username: 'colleague', displayName: 'Col League' }));
    await app.api.post('/api/v1/cloudron/login').send({ username: 'colleague', password: 'colleague-pw-1' }).expect(200);
    // The link works once.
    await app.api.post('/api/v1/cloudron/setup_account').send({ inviteToken, username: 'colleague', password: 'another-pw-1' }).expect(401);

    const events = await app.api.get('/api/v1/eventlog?action=user.invite,user.invite.accept').set(bearer(owner)).expect(200);
    expect(events.body.eventlogs.map((e: { action: string }) => e.action)).toEqual(['user.invite.accept', 'user.invite']);
  });

  it('a new invitation invalidates the previous one; tokens are stored hashed', async () => {
    const user = await app.api.post('/api/v1/users').set(bearer(owner)).send({ email: 'x@example.com' }).expect(201);
    const first = await app.api.post(`/api/v1/users/${user.body.id}/create_invite`).set(bearer(owner)).expect(200);
    const second = await app.api.post(`/api/v1/users/${user.body.id}/create_invite`).set(bearer(owner)).expect(200);
    expect(second.body.inviteLink).toContain(second.body.resetToken);
    expect(JSON.stringify(await app.berth.db('user_tokens').select())).not.toContain(second.body.resetToken);
    await app.api.post('/api/v1/cloudron/setup_account').send({ inviteToken: first.body.resetToken, username: 'xavier', password: 'xavier-pw-1' }).expect(401);
    const noName = await app.api.post('/api/v1/cloudron/setup_account').send({ inviteToken: second.body.resetToken, password: 'xavier-pw-1' }).expect(400);
    expect(noName.body.message).toBe('username is required');
    await app.api.post('/api/v1/cloudron/setup_account').send({ inviteToken: second.body.resetToken, username: 'xavier', password: 'xavier-pw-1' }).expect(200);
  });

  it('resets a forgotten password from the mailed link, ending other sessions', async () => {
    const session = await app.api.post('/api/v1/cloudron/login').send({ username: 'oksana', password: 'strongPa55word!?' }).expect(200);
    await app.api.post('/api/v1/cloudron/password_reset_request').send({ identifier: 'oksana@example.com' }).expect(202);
    await app.api.post('/api/v1/cloudron/password_reset_request').send({ identifier: 'nobody@example.com' }).expect(202);
    await waitForMail(smtp.mails, 1);
    const resetToken = new URL(linkIn(smtp.mails[0])).searchParams.get('resetToken')!;
    await app.api.post('/api/v1/cloudron/password_reset').send({ resetToken, password: 'short' }).expect(400);
    await app.api.post('/api/v1/cloudron/password_reset').send({ resetToken, password: 'brand-new-pw-1' }).expect(204);
    await app.api.post('/api/v1/cloudron/password_reset').send({ resetToken, password: 'brand-new-pw-2' }).expect(401);
    await app.api.get('/api/v1/profile').set(bearer(session.body.token)).expect(401);
    await app.api.post('/api/v1/cloudron/login').send({ username: 'oksana', password: 'brand-new-pw-1' }).expect(200);
  });
});

describe('invitations without an SMTP relay', () => {
  it('still gives the link, and refuses to mail with 424 without changing anything', async () => {
    const app = await startTestApp();
    try {
      const owner = (await activate(app)).token;
      const user = await app.api.post('/api/v1/users').set(bearer(owner)).send({ email: 'y@example.com' }).expect(201);
      const invite = await app.api.post(`/api/v1/users/${user.body.id}/create_invite`).set(bearer(owner)).expect(200);
      expect(invite.body.inviteLink).toMatch(/^http:\/\/localhost:\d+\/setupaccount\.html\?inviteToken=/);
      const mailed = await app.api.post(`/api/v1/users/${user.body.id}/send_invite`).set(bearer(owner)).expect(424);
      expect(mailed.body.code).toBe('FAILED_DEPENDENCY');
      await app.api.post('/api/v1/cloudron/setup_account').send({ inviteToken: invite.body.resetToken, username: 'yvonne', password: 'yvonne-pw-1' }).expect(200);
    } finally {
      await app.close();
    }
  });
});
