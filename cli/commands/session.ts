import type { Command } from 'commander';
import type { Context } from '../context';
import { boxClient, normaliseUrl, unwrap, type BoxClient } from '../client/api';
import { configPath, profileName, readConfig, updateProfile } from '../client/config';
import { CliError, UsageError } from '../client/errors';
import { printJson, say } from '../ui/io';
import { askHidden, ask, interactive, readStdin } from '../ui/prompt';
import { record } from '../ui/table';
import { when } from '../ui/format';
import { common, type CommonOptions } from './options';

interface LoginOptions extends CommonOptions {
  username?: string;
  passwordStdin?: boolean;
  token?: string;
  allowSelfsigned?: boolean;
}

/** `login`, `logout`, `status`, `whoami`. */
export function registerSessionCommands(program: Command, ctx: Context): void {
  common(
    program
      .command('login')
      .argument('[url]', "the box's address, e.g. https://my.example.com (default: $BERTH_URL, else the profile's)")
      .description('log in to a box and save its address and a token in the config file (0600)')
      .option('-u, --username <name>', 'your username or email (asked for when stdin is a terminal)')
      .option('--password-stdin', 'read the password from stdin (for scripts: echo "$PW" | berth login … --password-stdin)')
      .option('--token <token>', 'save this access token (bt_…) instead of logging in with a password')
      .option('--allow-selfsigned', "accept the box's TLS certificate even when no authority signed it (remembered in the profile)"),
  )
    .addHelpText('after', '\nThe config file is $XDG_CONFIG_HOME/berth/config.json (default ~/.config/berth/config.json).\nA login token lasts 7 days; for a token that does not expire, create one with berth tokens create and log in with --token.')
    .action((url: string | undefined, options: LoginOptions) => ctx.run(() => login(ctx, url, options)));

  common(program.command('logout').description('revoke the saved token on the box and forget it (the address stays for the next login)')).action(
    (options: CommonOptions) => ctx.run(() => logout(ctx, options)),
  );

  common(program.command('status').description("show the box's name, version and whether you are logged in (works without a token)")).action(
    (options: CommonOptions) => ctx.run(() => status(ctx, options)),
  );

  common(program.command('whoami').description('show the user the saved token acts for')).action((options: CommonOptions) =>
    ctx.run(async () => {
      const session = ctx.session({ profile: options.profile });
      const me = await unwrap(session.api.GET('/profile'));
      if (options.json) return printJson(ctx.io, me);
      say(ctx.io, `${me.username ?? me.email} (${me.role}) <${me.email}> on ${session.url}`);
    }),
  );
}

async function login(ctx: Context, urlArg: string | undefined, options: LoginOptions): Promise<void> {
  const { io } = ctx;
  const profile = profileName(options.profile, io.env);
  const file = configPath(io.env);
  const stored = readConfig(file).profiles[profile];
  const raw = urlArg ?? io.env.BERTH_URL ?? stored?.url;
  if (!raw) throw new UsageError("login needs the box's address: berth login https://my.example.com");
  const url = normaliseUrl(raw);
  if (!url) throw new UsageError(`"${raw}" is not an http(s) address`);
  if (options.token && options.passwordStdin) throw new UsageError('give either --token or --password-stdin, not both');
  const allowSelfsigned = Boolean(options.allowSelfsigned);
  const api = boxClient({ url, allowSelfsigned });

  const boxStatus = await checkBox(api, url);
  let token: string;
  let expiresAt: string | undefined;
  let username: string;
  if (options.token) {
    token = options.token.trim();
    const me = await unwrap(boxClient({ url, token, allowSelfsigned }).GET('/profile'), { sentToken: false });
    username = me.username ?? me.email;
  } else {
    if (!boxStatus.activated) throw new CliError(`the box at ${url} is not activated yet: activate it first (POST /api/v1/cloudron/activate), then log in`);
    username = options.username ?? (interactive(io) ? await ask(io, 'Username: ') : '');
    if (!username) throw new UsageError('give --username when stdin is not a terminal');
    let password: string;
    if (options.passwordStdin) password = await readStdin(io);
    else if (interactive(io)) password = await askHidden(io, 'Password: ');
    else throw new UsageError('no password: give it with --password-stdin, or log in with --token, when stdin is not a terminal');
    if (!password) throw new UsageError('the password is empty');
    const answer = await unwrap(api.POST('/cloudron/login', { body: { username, password } }), { sentToken: false });
    token = answer.token;
    expiresAt = answer.expiresAt;
  }
  updateProfile(file, profile, { url, token, username, ...(allowSelfsigned ? { allowSelfsigned } : {}), ...(expiresAt ? { expiresAt } : {}) });
  if (options.json) return printJson(io, { profile, url, username, expiresAt: expiresAt ?? null });
  const expiry = expiresAt ? ` The token expires ${when(expiresAt)} UTC.` : '';
  const named = profile === 'default' ? '' : ` (profile ${profile})`;
  say(io, `Logged in to ${url} as ${username}${named}.${expiry}`);
}

/** The box's public status, or a clear error when the address is not a Berth (or Cloudron) box. */
async function checkBox(api: BoxClient, url: string) {
  const answer = await api.GET('/cloudron/status');
  if (!answer.response.ok || typeof answer.data?.activated !== 'boolean') {
    throw new CliError(`${url} does not look like a Berth box (GET /api/v1/cloudron/status answered ${answer.response.status})`);
  }
  return answer.data;
}

async function logout(ctx: Context, options: CommonOptions): Promise<void> {
  const session = ctx.session({ profile: options.profile });
  const answer = await session.api.POST('/cloudron/logout');
  const wasValid = answer.response.ok;
  if (!wasValid && answer.response.status !== 401) await unwrap(Promise.resolve(answer));
  if (session.tokenSource === 'profile') {
    const stored = readConfig(session.configFile).profiles[session.profile];
    if (stored) updateProfile(session.configFile, session.profile, { url: stored.url, ...(stored.allowSelfsigned ? { allowSelfsigned: true } : {}) });
  }
  if (options.json) return printJson(ctx.io, { profile: session.profile, url: session.url, revoked: wasValid });
  const from = session.tokenSource === 'env' ? ' (the token from BERTH_TOKEN; unset it)' : '';
  say(ctx.io, wasValid ? `Logged out of ${session.url}: the token is revoked${from}.` : `Logged out of ${session.url}: the token was no longer valid${from}.`);
}

async function status(ctx: Context, options: CommonOptions): Promise<void> {
  const session = ctx.session({ profile: options.profile, needToken: false });
  const box = await unwrap(session.api.GET('/cloudron/status'));
  let user = 'not logged in';
  if (session.token) {
    const me = await session.api.GET('/profile');
    if (me.data) user = `${me.data.username ?? me.data.email} (${me.data.role})`;
    else if (me.response.status === 401) user = 'not logged in (the saved token is no longer valid: berth login)';
    else await unwrap(Promise.resolve(me));
  }
  if (options.json) return printJson(ctx.io, box);
  say(
    ctx.io,
    record([
      ['Box', session.url],
      ['Name', box.cloudronName],
      ['Version', box.version],
      ['Activated', box.activated ? 'yes' : 'no (activate it: POST /api/v1/cloudron/activate)'],
      ['Dashboard', box.adminFqdn],
      ['Profile', session.profile],
      ['Logged in as', user],
    ]),
  );
}
