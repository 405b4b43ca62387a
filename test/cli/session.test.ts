import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { bearer, OWNER, type TestApp } from '../helpers/app';
import { freePort } from '../helpers/processes';
import { configFile, errLines, runBerth, runBerthInTerminal, startCliBox, tempHome, type CliBox } from './run-berth';

/** Logging in and out with the built `berth` against a real listening Berth. */
describe('berth login, logout, status, whoami', () => {
  let box: CliBox;
  let app: TestApp;
  let server: CliBox['server'];
  let home: string;
  beforeAll(async () => {
    box = await startCliBox();
    ({ app, server } = box);
  });
  afterAll(() => box.close());
  beforeEach(() => {
    home = tempHome();
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const login = (extra: string[] = [], password = OWNER.password) =>
    runBerth(['login', server.url, '--username', OWNER.username, '--password-stdin', ...extra], { home, input: `${password}\n` });

  it('logs in with a password, saves the URL and token 0600 under XDG_CONFIG_HOME, and the token works', async () => {
    const res = await login();
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Logged in to ${server.url} as oksana\\. The token expires \\d{4}-\\d\\d-\\d\\d`));

    const file = configFile(home);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(saved.profiles.default).toMatchObject({ url: server.url, username: 'oksana', token: expect.stringMatching(/^bt_/) });
    await app.api.get('/api/v1/profile').set(bearer(saved.profiles.default.token)).expect(200);

    const who = await runBerth(['whoami'], { home });
    expect([who.code, who.stdout.trim()]).toEqual([0, `oksana (owner) <oksana@example.com> on ${server.url}`]);
    const whoJson = await runBerth(['whoami', '--json'], { home });
    expect(JSON.parse(whoJson.stdout)).toMatchObject({ username: 'oksana', role: 'owner', email: 'oksana@example.com' });

    const status = await runBerth(['status'], { home });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Activated:\s+yes/);
    expect(status.stdout).toMatch(/Logged in as:\s+oksana \(owner\)/);
  });

  it('keeps named profiles apart and takes BERTH_URL and BERTH_TOKEN over them', async () => {
    expect((await login(['--profile', 'work'])).code).toBe(0);
    const saved = JSON.parse(fs.readFileSync(configFile(home), 'utf8'));
    expect(Object.keys(saved.profiles)).toEqual(['work']);

    const noDefault = await runBerth(['whoami'], { home });
    expect([noDefault.code, errLines(noDefault)]).toEqual([1, ['berth: not logged in: run berth login <url> (or set BERTH_URL and BERTH_TOKEN)']]);
    expect((await runBerth(['whoami', '--profile', 'work'], { home })).code).toBe(0);
    expect((await runBerth(['whoami'], { home, env: { BERTH_PROFILE: 'work' } })).code).toBe(0);

    // Environment only, no config file at all: what a script does.
    const other = tempHome();
    try {
      const token = saved.profiles.work.token as string;
      const viaEnv = await runBerth(['whoami', '--json'], { home: other, env: { BERTH_URL: server.url, BERTH_TOKEN: token } });
      expect(JSON.parse(viaEnv.stdout).username).toBe('oksana');
      expect(fs.existsSync(configFile(other))).toBe(false);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    // A stored token never goes to another server named by BERTH_URL.
    const port = await freePort();
    const elsewhere = await runBerth(['whoami', '--profile', 'work'], { home, env: { BERTH_URL: `http://127.0.0.1:${port}` } });
    expect([elsewhere.code, errLines(elsewhere)]).toEqual([1, [`berth: not logged in to http://127.0.0.1:${port}: run berth login --profile work`]]);
  });

  it('asks for the username and, without echoing it, the password at a terminal', async () => {
    const res = await runBerthInTerminal(['login', server.url], {
      home,
      keys: [
        { afterMs: 1000, text: `${OWNER.username}\r` },
        { afterMs: 2000, text: `${OWNER.password}\r` },
      ],
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Username: ');
    expect(res.stdout).toContain('Password: ');
    expect(res.stdout).not.toContain(OWNER.password);
    expect(res.stdout).toContain(`Logged in to ${server.url} as oksana.`);
  });

  it('logs in with an API token', async () => {
    const owner = await app.api.post('/api/v1/cloudron/login').send({ username: OWNER.username, password: OWNER.password }).expect(200);
    const created = await app.api.post('/api/v1/tokens').set(bearer(owner.body.token)).send({ name: 'cli' }).expect(201);
    const res = await runBerth(['login', server.url, '--token', created.body.accessToken], { home });
    expect([res.code, res.stdout.trim()]).toEqual([0, `Logged in to ${server.url} as oksana.`]);
    expect(JSON.parse(fs.readFileSync(configFile(home), 'utf8')).profiles.default.token).toBe(created.body.accessToken);
    expect((await runBerth(['whoami'], { home })).code).toBe(0);
  });

  it('refuses a wrong password in one line, exit 1, saving nothing', async () => {
    const res = await login([], 'not-the-password');
    expect([res.code, errLines(res)]).toEqual([1, ['berth: Invalid username or password']]);
    expect(res.stdout).toBe('');
    expect(fs.existsSync(configFile(home))).toBe(false);
  });

  it('says a server cannot be reached in one line, exit 1', async () => {
    const port = await freePort();
    const res = await runBerth(['login', `http://127.0.0.1:${port}`, '-u', 'oksana', '--password-stdin'], { home, input: 'x\n' });
    expect([res.code, errLines(res)]).toEqual([1, [`berth: cannot reach http://127.0.0.1:${port}: connection refused`]]);
  });

  it('logout revokes the token on the server; the revoked token then fails in one line', async () => {
    expect((await login()).code).toBe(0);
    const token = JSON.parse(fs.readFileSync(configFile(home), 'utf8')).profiles.default.token as string;
    const out = await runBerth(['logout'], { home });
    expect([out.code, out.stdout.trim()]).toEqual([0, `Logged out of ${server.url}: the token is revoked.`]);
    await app.api.get('/api/v1/profile').set(bearer(token)).expect(401);
    expect(JSON.parse(fs.readFileSync(configFile(home), 'utf8')).profiles.default).toEqual({ url: server.url });

    const again = await runBerth(['apps', 'list'], { home });
    expect([again.code, errLines(again)]).toEqual([1, ['berth: not logged in to ' + server.url + ': run berth login']]);
    const revoked = await runBerth(['apps', 'list'], { home, env: { BERTH_TOKEN: token } });
    expect([revoked.code, errLines(revoked)]).toEqual([1, ['berth: Invalid token (log in again with: berth login)']]);
  });

  it('refuses a self-signed certificate with a hint, and accepts it with --allow-selfsigned (remembered)', async () => {
    // A throwaway key and certificate for 127.0.0.1, made for this test: no authority signed it.
    const tls = { key: fs.readFileSync(path.join(__dirname, 'fixtures/selfsigned-key.pem')), cert: fs.readFileSync(path.join(__dirname, 'fixtures/selfsigned-cert.pem')) };
    const secure = https.createServer(tls, app.berth.http);
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
    try {
      const args = ['login', url, '-u', OWNER.username, '--password-stdin'];
      const refused = await runBerth(args, { home, input: OWNER.password });
      expect(refused.code).toBe(1);
      expect(errLines(refused)).toEqual([expect.stringMatching(new RegExp(`^berth: cannot reach ${url}: its TLS certificate is not trusted \\(\\w+\\); .* --allow-selfsigned$`))]);

      const accepted = await runBerth([...args, '--allow-selfsigned'], { home, input: OWNER.password });
      expect([accepted.code, accepted.stderr]).toEqual([0, '']);
      expect(JSON.parse(fs.readFileSync(configFile(home), 'utf8')).profiles.default).toMatchObject({ url, allowSelfsigned: true });
      const who = await runBerth(['whoami'], { home });
      expect([who.code, who.stdout.trim()]).toEqual([0, `oksana (owner) <oksana@example.com> on ${url}`]);
    } finally {
      secure.closeAllConnections();
      await new Promise((resolve) => secure.close(resolve));
    }
  });

  it('needs a password source when stdin is not a terminal: a usage error, exit 2', async () => {
    const res = await runBerth(['login', server.url, '--username', 'oksana'], { home });
    expect([res.code, errLines(res)]).toEqual([2, ['berth: no password: give it with --password-stdin, or log in with --token, when stdin is not a terminal']]);
  });

  it('maps usage errors to exit 2 and help to exit 0', async () => {
    const unknownOption = await runBerth(['apps', 'list', '--bogus'], { home });
    expect(unknownOption.code).toBe(2);
    expect(errLines(unknownOption)[0]).toBe("berth: unknown option '--bogus'");
    expect((await runBerth(['apps', 'install', '--appstore-id', 'x'], { home })).code).toBe(2); // --location missing
    expect((await runBerth(['apps', 'install', '--location', 'x', '--memory', 'lots'], { home })).code).toBe(2);
    expect((await runBerth(['tasks', 'wait', 'abc'], { home })).code).toBe(2);
    expect((await runBerth(['nope'], { home })).code).toBe(2);
    expect((await runBerth(['apps'], { home })).code).toBe(2);

    const help = await runBerth(['--help'], { home });
    expect(help.code).toBe(0);
    for (const command of ['login', 'logout', 'status', 'whoami', 'apps', 'tasks', 'users', 'groups', 'tokens', 'eventlog', 'notifications', 'completion', 'serve']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    const installHelp = await runBerth(['apps', 'install', '--help'], { home });
    expect(installHelp.code).toBe(0);
    for (const flag of ['--appstore-id', '--manifest', '--location', '--domain', '--memory', '--env', '--wait', '--json', '--profile']) expect(installHelp.stdout).toContain(flag);
  });

  it('prints bash and zsh completion built from the commands', async () => {
    const bash = await runBerth(['completion', 'bash'], { home });
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('complete -o default -F _berth berth');
    expect(bash.stdout).toContain('["berth apps"]="list catalogue get install restart stop start uninstall configure update logs exec backup backups restore clone"');
    expect(bash.stdout).toContain('["berth domains"]="list get add update remove check"');
    const zsh = await runBerth(['completion', 'zsh'], { home });
    expect(zsh.stdout).toMatch(/^#compdef berth/);
    expect((await runBerth(['completion', 'fish'], { home })).code).toBe(2);

    const { spawnSync } = await import('node:child_process');
    const script = `${bash.stdout}\nCOMP_WORDS=(berth apps ins); COMP_CWORD=2; _berth; echo "\${COMPREPLY[*]}"\nCOMP_WORDS=(berth tasks wait --j); COMP_CWORD=3; _berth; echo "\${COMPREPLY[*]}"`;
    const out = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(out.stdout.split('\n').slice(0, 2)).toEqual(['install', '--json']);
  });
});
