import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { resolveApp } from '../client/resolve';
import { printJson, say } from '../ui/io';
import { confirmed } from '../ui/prompt';
import { backupTable } from './backup-view';
import { common, paged, waitable, type CommonOptions, type PageOptions } from './options';
import { followStartedTask, type WaitOptions } from './task-output';

interface RestoreOptions extends WaitOptions {
  backup: string;
  yes?: boolean;
}

interface CloneOptions extends WaitOptions {
  backup: string;
  location: string;
  domain?: string;
}

/** `apps backup|backups|restore|clone`: an app's backups (docs/backups.md). */
export function registerAppBackups(apps: Command, ctx: Context, appArg: readonly [string, string]): void {
  waitable(common(apps.command('backup').argument(...appArg).description('back an app up to the backup target (it is stopped while its data is copied)'))).action(
    (ref: string, options: WaitOptions) =>
      ctx.run(async () => {
        const session = ctx.session({ profile: options.profile });
        const app = await resolveApp(session.api, ref);
        const { taskId } = await unwrap(session.api.POST('/apps/{appId}/backup', { params: { path: { appId: app.id } } }));
        return followStartedTask(ctx, session, options, taskId, { started: `Backing up ${app.fqdn}`, done: `Backed up ${app.fqdn}. berth apps backups ${app.fqdn} lists its backups.` });
      }),
  );

  paged(common(apps.command('backups').argument(...appArg).description("list an app's backups, newest first")), 'backups').action((ref: string, options: CommonOptions & PageOptions) =>
    ctx.run(async () => {
      const { api } = ctx.session({ profile: options.profile });
      const app = await resolveApp(api, ref);
      const query = { page: options.page, per_page: options.perPage };
      const { backups } = await unwrap(api.GET('/apps/{appId}/backups', { params: { path: { appId: app.id }, query } }));
      if (options.json) return printJson(ctx.io, backups);
      if (!backups.length) return say(ctx.io, `${app.fqdn} has no backups. Make one with: berth apps backup ${app.fqdn}`);
      say(ctx.io, backupTable(backups));
    }),
  );

  waitable(
    common(
      apps
        .command('restore')
        .argument(...appArg)
        .description("restore an app from one of its backups: REPLACES ITS DATA, manifest, env and memory limit with the backup's")
        .requiredOption('--backup <id>', '(required) the backup to restore (berth apps backups <app> lists them)')
        .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)'),
    ),
  ).action((ref: string, options: RestoreOptions) =>
    ctx.run(async () => {
      const session = ctx.session({ profile: options.profile });
      const app = await resolveApp(session.api, ref);
      const question = `Replace the data of ${app.fqdn} (${app.id}) with backup ${options.backup}?`;
      if (!(await confirmed(ctx.io, options.yes, question, "restore replaces the app's data: pass --yes to confirm"))) return say(ctx.io, 'Nothing was restored.');
      const body = { backupId: options.backup };
      const { taskId } = await unwrap(session.api.POST('/apps/{appId}/restore', { params: { path: { appId: app.id } }, body }));
      return followStartedTask(ctx, session, options, taskId, { started: `Restoring ${app.fqdn} from ${options.backup}`, done: `Restored ${app.fqdn} from ${options.backup}.` });
    }),
  );

  waitable(
    common(
      apps
        .command('clone')
        .argument(...appArg)
        .description("install a new app from one of an app's backups: its data and version, the app's env, memory and access")
        .requiredOption('--backup <id>', '(required) the backup to clone from (berth apps backups <app> lists them)')
        .requiredOption('--location <subdomain>', '(required) where the new app answers: "copy" for copy.<domain>, "" for the bare domain')
        .option('--domain <domain>', "the new app's domain (default: the source app's)"),
    ),
  ).action((ref: string, options: CloneOptions) =>
    ctx.run(async () => {
      const session = ctx.session({ profile: options.profile });
      const app = await resolveApp(session.api, ref);
      const domain = options.domain ?? app.domain;
      const body = { backupId: options.backup, location: options.location, domain };
      const answer = await unwrap(session.api.POST('/apps/{appId}/clone', { params: { path: { appId: app.id } }, body }));
      const fqdn = options.location ? `${options.location}.${domain}` : domain;
      return followStartedTask(ctx, session, options, answer.taskId, { started: `Cloning ${app.fqdn} to ${fqdn} as app ${answer.id}`, done: `Cloned ${app.fqdn} to ${fqdn} (app ${answer.id}).`, json: answer });
    }),
  );
}
