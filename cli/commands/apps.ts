import fs from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { UsageError } from '../client/errors';
import { resolveApp } from '../client/resolve';
import type { paths } from '../generated/box';
import type { App } from '../client/types';
import { bytes, when } from '../ui/format';
import { printJson, say } from '../ui/io';
import { confirmed } from '../ui/prompt';
import { record, table } from '../ui/table';
import { registerAppBackups } from './app-backups';
import { registerAppExec } from './app-exec';
import { registerAppLogs } from './app-logs';
import { collect, common, parseEnv, parseMemory, waitable, type CommonOptions } from './options';
import { followStartedTask as followAppTask, type WaitOptions } from './task-output';

interface InstallOptions extends WaitOptions {
  manifest?: string;
  appstoreId?: string;
  location: string;
  domain?: string;
  memory?: number;
  env?: string[];
  label?: string;
}

interface ConfigureOptions extends WaitOptions {
  location?: string;
  domain?: string;
  memory?: number;
  env?: string[];
  label?: string;
  tag?: string[];
}

type ConfigureResponses = paths['/apps/{appId}/configure']['post']['responses'];
type ConfigureAnswer = ConfigureResponses[200]['content']['application/json'] | ConfigureResponses[202]['content']['application/json'];

interface UpdateOptions extends WaitOptions {
  manifest?: string;
  appstoreId?: string;
  version?: string;
}

const APP_ARG = ['<app>', "the app's id, address (site.example.com) or location (site)"] as const;

/** `apps …`: list, get, install, operate, configure, update, uninstall; logs and exec live beside it. */
export function registerAppCommands(program: Command, ctx: Context): void {
  const apps = program
    .command('apps')
    .description('install and operate apps; back them up, restore and clone them');

  common(apps.command('list').description('list the installed apps')).action((options: CommonOptions) =>
    ctx.run(async () => {
      const { apps: list } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/apps'));
      if (options.json) return printJson(ctx.io, list);
      if (!list.length) return say(ctx.io, 'No apps installed. Install one with: berth apps install --help');
      say(ctx.io, table(['ID', 'ADDRESS', 'APP', 'VERSION', 'STATE', 'RUN', 'HEALTH'], list.map((a) => [a.id, a.fqdn, a.label || a.manifest.title, a.manifest.version, a.installationState, a.runState, a.health])));
    }),
  );

  common(apps.command('catalogue').description('list the apps the box can install (ids for install --appstore-id)')).action((options: CommonOptions) =>
    ctx.run(async () => {
      const { apps: entries } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/appstore/apps'));
      if (options.json) return printJson(ctx.io, entries);
      if (!entries.length) return say(ctx.io, 'The catalogue is empty.');
      say(ctx.io, table(['ID', 'VERSION', 'TITLE', 'SOURCE'], entries.map((e) => [e.id, e.version, e.title, e.source])));
    }),
  );

  common(apps.command('get').argument(...APP_ARG).description("show an app: its state, health, last error and settings")).action((ref: string, options: CommonOptions) =>
    ctx.run(async () => {
      const app = await resolveApp(ctx.session({ profile: options.profile }).api, ref);
      if (options.json) return printJson(ctx.io, app);
      say(ctx.io, describeApp(app));
    }),
  );

  waitable(
    common(
      apps
        .command('install')
        .description('install an app from the catalogue (--appstore-id) or from a manifest file (--manifest)')
        .option('--appstore-id <id>', 'a catalogue app, e.g. io.berth.staticweb (id@version pins a version; berth apps catalogue lists them)')
        .option('--manifest <file>', 'a manifest JSON file (docs/manifest.md), installed without the catalogue')
        .requiredOption('--location <subdomain>', '(required) where the app answers: "site" for site.<domain>, "" for the bare domain')
        .option('--domain <domain>', "the domain (default: the box's dashboard domain)")
        .option('--memory <size>', 'memory limit such as 256M or 1G (default: what the manifest asks)', parseMemory)
        .option('--env <NAME=VALUE>', 'an environment variable for the app (repeat for more)', collect)
        .option('--label <text>', 'a display name'),
    ),
  )
    .addHelpText('after', '\nExample:\n  berth apps install --appstore-id io.berth.staticweb --location site --domain example.com --memory 256M --wait')
    .action((options: InstallOptions) => ctx.run(() => install(ctx, options)));

  for (const [name, verb, done, description] of [
    ['restart', 'Restarting', 'Restarted', 'restart an app (and wait for its health check)'],
    ['stop', 'Stopping', 'Stopped', 'stop an app; its container and data stay'],
    ['start', 'Starting', 'Started', 'start a stopped app (and wait for its health check)'],
  ] as const) {
    waitable(common(apps.command(name).argument(...APP_ARG).description(description))).action((ref: string, options: WaitOptions) =>
      ctx.run(async () => {
        const session = ctx.session({ profile: options.profile });
        const app = await resolveApp(session.api, ref);
        const { taskId } = await unwrap(session.api.POST(`/apps/{appId}/${name}`, { params: { path: { appId: app.id } } }));
        return followAppTask(ctx, session, options, taskId, { started: `${verb} ${app.fqdn}`, done: `${done} ${app.fqdn}.` });
      }),
    );
  }

  waitable(common(apps.command('uninstall').argument(...APP_ARG).description('uninstall an app: removes its container and DELETES ITS DATA').option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)'))).action(
    (ref: string, options: WaitOptions & { yes?: boolean }) =>
      ctx.run(async () => {
        const session = ctx.session({ profile: options.profile });
        const app = await resolveApp(session.api, ref);
        if (!(await confirmed(ctx.io, options.yes, `Uninstall ${app.fqdn} (${app.id}) and delete its data?`, 'uninstall deletes the app and its data: pass --yes to confirm'))) {
          return say(ctx.io, 'Nothing was uninstalled.');
        }
        const { taskId } = await unwrap(session.api.POST('/apps/{appId}/uninstall', { params: { path: { appId: app.id } } }));
        return followAppTask(ctx, session, options, taskId, { started: `Uninstalling ${app.fqdn}`, done: `Uninstalled ${app.fqdn}.` });
      }),
  );

  waitable(
    common(
      apps
        .command('configure')
        .argument(...APP_ARG)
        .description('change an app: address, memory and env replace its container (a task); label and tags apply at once')
        .option('--location <subdomain>', 'a new location ("" for the bare domain)')
        .option('--domain <domain>', 'a new domain')
        .option('--memory <size>', 'a new memory limit such as 256M or 1G (0 for what the manifest asks)', parseMemory)
        .option('--env <NAME=VALUE>', "the app's environment; replaces all of it (repeat for more)", collect)
        .option('--label <text>', 'a display name ("" removes it)')
        .option('--tag <tag>', 'a tag; replaces the tags (repeat for more)', collect),
    ),
  ).action((ref: string, options: ConfigureOptions) => ctx.run(() => configure(ctx, ref, options)));

  waitable(
    common(
      apps
        .command('update')
        .argument(...APP_ARG)
        .description("update an app to another version of its manifest (default: the catalogue's newest)")
        .option('--appstore-id <id>', 'a catalogue app (id@version pins a version)')
        .option('--version <version>', 'a catalogue version of the app')
        .option('--manifest <file>', 'a manifest JSON file with the same id'),
    ),
  ).action((ref: string, options: UpdateOptions) =>
    ctx.run(async () => {
      if (options.manifest && (options.appstoreId || options.version)) throw new UsageError('give --manifest, or --appstore-id/--version, not both');
      const session = ctx.session({ profile: options.profile });
      const app = await resolveApp(session.api, ref);
      const body = {
        ...(options.manifest ? { manifest: readManifest(options.manifest) } : {}),
        ...(options.appstoreId ? { appStoreId: options.appstoreId } : {}),
        ...(options.version ? { version: options.version } : {}),
      };
      const { taskId } = await unwrap(session.api.POST('/apps/{appId}/update', { params: { path: { appId: app.id } }, body }));
      return followAppTask(ctx, session, options, taskId, { started: `Updating ${app.fqdn}`, done: `Updated ${app.fqdn}.` });
    }),
  );

  registerAppLogs(apps, ctx);
  registerAppExec(apps, ctx);
  registerAppBackups(apps, ctx, APP_ARG);
}

async function install(ctx: Context, options: InstallOptions): Promise<number | void> {
  if (Boolean(options.manifest) === Boolean(options.appstoreId)) throw new UsageError('give exactly one of --appstore-id and --manifest');
  const session = ctx.session({ profile: options.profile });
  let domain = options.domain;
  if (!domain) {
    domain = (await unwrap(session.api.GET('/config'))).adminDomain;
    if (!domain) throw new UsageError('give --domain: the box has no dashboard domain to default to');
  }
  const body = {
    ...(options.manifest ? { manifest: readManifest(options.manifest) } : { appStoreId: options.appstoreId }),
    location: options.location,
    domain,
    accessRestriction: null,
    ...(options.memory !== undefined ? { memoryLimit: options.memory } : {}),
    ...(options.env ? { env: parseEnv(options.env) } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
  };
  const answer = await unwrap(session.api.POST('/apps/install', { body }));
  const fqdn = options.location ? `${options.location}.${domain}` : domain;
  return followAppTask(ctx, session, options, answer.taskId, { started: `Installing ${fqdn} as app ${answer.id}`, done: `Installed ${fqdn} (app ${answer.id}).`, json: answer });
}

async function configure(ctx: Context, ref: string, options: ConfigureOptions): Promise<number | void> {
  const body = {
    ...(options.location !== undefined ? { location: options.location } : {}),
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
    ...(options.memory !== undefined ? { memoryLimit: options.memory } : {}),
    ...(options.env ? { env: parseEnv(options.env) } : {}),
    ...(options.label !== undefined ? { label: options.label === '' ? null : options.label } : {}),
    ...(options.tag ? { tags: options.tag } : {}),
  };
  if (!Object.keys(body).length) throw new UsageError('nothing to change: give at least one of --location, --domain, --memory, --env, --label, --tag');
  const session = ctx.session({ profile: options.profile });
  const app = await resolveApp(session.api, ref);
  // Two success answers (200 applied at once, 202 with a task); openapi-fetch's type keeps neither, so name them.
  const answer = (await unwrap(session.api.POST('/apps/{appId}/configure', { params: { path: { appId: app.id } }, body }))) as ConfigureAnswer;
  if (answer.taskId === null) {
    if (options.json) return printJson(ctx.io, answer);
    return say(ctx.io, `Configured ${app.fqdn} (applied at once, no task needed).`);
  }
  return followAppTask(ctx, session, options, answer.taskId, { started: `Configuring ${app.fqdn}`, done: `Configured ${app.fqdn}.` });
}

function readManifest(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the manifest ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`the manifest ${file} is not a JSON object: ${(err as Error).message}`);
  }
}

function describeApp(app: App): string {
  const access = app.accessRestriction ? `users: ${(app.accessRestriction.users ?? []).join(', ') || '-'}; groups: ${(app.accessRestriction.groups ?? []).join(', ') || '-'}` : 'every user';
  return record([
    ['ID', app.id],
    ['Address', app.fqdn],
    ['App', `${app.manifest.title} ${app.manifest.version} (${app.manifest.id})`],
    ['Image', app.manifest.dockerImage],
    ['From', app.appStoreId ? `catalogue ${app.appStoreId}` : 'a manifest'],
    ['State', app.installationState],
    ['Run state', app.runState],
    ['Health', app.health ? `${app.health} at ${when(app.healthTime)}` : null],
    ['Task', app.taskId],
    ['Error', app.error ? `${app.error.message} (during ${app.error.installationState}, task ${app.error.taskId ?? '-'})` : null],
    ['Memory', bytes(app.memoryLimit)],
    ['Env', Object.keys(app.env).join(', ')],
    ['Ports', Object.entries(app.portBindings).map(([k, v]) => `${k}=${v}`).join(', ')],
    ['Label', app.label],
    ['Tags', app.tags.join(', ')],
    ['Access', access],
    ['Installed', when(app.creationTime)],
  ]);
}
