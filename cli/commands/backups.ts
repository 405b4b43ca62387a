import { Option, type Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { UsageError } from '../client/errors';
import { printJson, say } from '../ui/io';
import { readStdin } from '../ui/prompt';
import { backupTable, describeBackup, describeConfig } from './backup-view';
import { common, paged, seconds, waitable, type CommonOptions, type PageOptions } from './options';
import { followStartedTask, type WaitOptions } from './task-output';

interface ConfigSetOptions extends CommonOptions {
  provider?: 'filesystem' | 's3' | 'minio' | 's3-v4-compat' | 'digitalocean-spaces' | 'wasabi' | 'exoscale-sos' | 'scaleway-objectstorage';
  folder?: string;
  format?: 'tgz' | 'rsync';
  syncConcurrency?: number;
  encryptedFilenames?: boolean;
  retention?: number;
  interval?: number;
  passwordStdin?: boolean;
  encryption?: boolean;
  bucket?: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKeyStdin?: boolean;
}

const BACKUP_ARG = ['<id>', 'the backup id (berth backups list shows them)'] as const;

/** `backups …`: the backup target, box backups, the list, retention and verification (docs/backups.md). */
export function registerBackupCommands(program: Command, ctx: Context): void {
  const backups = program.command('backups').description('configure the backup target; list, create, verify, drill and clean up backups (admins; docs/backups.md)');

  paged(
    common(backups.command('list').description('list backups, newest first').addOption(new Option('--type <type>', 'only box or app backups').choices(['box', 'app']))),
    'backups',
  ).action((options: CommonOptions & PageOptions & { type?: 'box' | 'app' }) =>
    ctx.run(async () => {
      const query = { type: options.type, page: options.page, per_page: options.perPage };
      const { backups: list } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/backups', { params: { query } }));
      if (options.json) return printJson(ctx.io, list);
      if (!list.length) return say(ctx.io, 'No backups. Make one with: berth backups create, or berth apps backup <app>');
      say(ctx.io, backupTable(list));
    }),
  );

  common(backups.command('get').argument(...BACKUP_ARG).description('show a backup: its state, files and their checksums')).action((id: string, options: CommonOptions) =>
    ctx.run(async () => {
      const backup = await unwrap(ctx.session({ profile: options.profile }).api.GET('/backups/{backupId}', { params: { path: { backupId: id } } }));
      if (options.json) return printJson(ctx.io, backup);
      say(ctx.io, describeBackup(backup));
    }),
  );

  for (const [name, path, started, done, description] of [
    ['create', '/backups/create', 'Backing up the box', 'Backed up the box.', 'back up the box: every app with backups enabled, then the records'],
    ['cleanup', '/backups/cleanup', 'Cleaning up backups', 'Cleaned up backups.', 'remove backups older than the retention (the newest of the box and of each app stay)'],
  ] as const) {
    waitable(common(backups.command(name).description(description))).action((options: WaitOptions) =>
      ctx.run(async () => {
        const session = ctx.session({ profile: options.profile });
        const { taskId } = await unwrap(session.api.POST(path));
        return followStartedTask(ctx, session, options, taskId, { started, done });
      }),
    );
  }

  waitable(common(backups.command('verify').argument(...BACKUP_ARG).description("re-read a backup's files from the target and check their SHA-256; with --wait, exit 1 when one is damaged or missing"))).action(
    (id: string, options: WaitOptions) =>
      ctx.run(async () => {
        const session = ctx.session({ profile: options.profile });
        const { taskId } = await unwrap(session.api.POST('/backups/{backupId}/verify', { params: { path: { backupId: id } } }));
        return followStartedTask(ctx, session, options, taskId, { started: `Verifying ${id}`, done: `Backup ${id} is intact.` });
      }),
  );

  waitable(
    common(
      backups
        .command('drill')
        .argument('[backup]', 'a backup id (box-… or app-…); default: the newest complete box backup')
        .description('restore a backup into a scratch volume and compare it with what it holds; live apps are not touched; with --wait, exit 1 when it differs'),
    ),
  ).action((id: string | undefined, options: WaitOptions) =>
    ctx.run(async () => {
      const session = ctx.session({ profile: options.profile });
      const { taskId } = await unwrap(session.api.POST('/backups/drill', { body: id ? { backupId: id } : {} }));
      const what = id ?? 'the newest backup';
      return followStartedTask(ctx, session, options, taskId, { started: `Drilling ${what}`, done: `Restore drill of ${what} passed: it restores identically.` });
    }),
  );

  common(
    backups
      .command('update')
      .argument(...BACKUP_ARG)
      .description('label a backup, or keep it longer than the retention')
      .option('--label <text>', 'a label ("" removes it)')
      .option('--preserve-secs <duration>', 'keep it at least this long after its creation: 30d, 12h, or seconds (0: as the retention says)', seconds()),
  ).action((id: string, options: CommonOptions & { label?: string; preserveSecs?: number }) =>
    ctx.run(async () => {
      const body = { ...(options.label !== undefined ? { label: options.label } : {}), ...(options.preserveSecs !== undefined ? { preserveSecs: options.preserveSecs } : {}) };
      if (!Object.keys(body).length) throw new UsageError('nothing to change: give --label or --preserve-secs');
      const backup = await unwrap(ctx.session({ profile: options.profile }).api.POST('/backups/{backupId}', { params: { path: { backupId: id } }, body }));
      if (options.json) return printJson(ctx.io, backup);
      say(ctx.io, `Updated ${backup.id}.`);
    }),
  );

  registerConfigCommands(backups, ctx);
}

function registerConfigCommands(backups: Command, ctx: Context): void {
  const config = common(backups.command('config').description('show the backup target and schedule (secrets redacted); "config set" changes them')).action((options: CommonOptions) =>
    ctx.run(async () => {
      const current = await unwrap(ctx.session({ profile: options.profile }).api.GET('/settings/backup_config'));
      if (options.json) return printJson(ctx.io, current);
      say(ctx.io, describeConfig(current));
    }),
  );

  common(
    config
      .command('set')
      .description('change the backup target and schedule; flags left out keep their value. The target is checked with a live write first')
      .addOption(new Option('--provider <name>', 'where backups go (the S3 family: s3, minio, s3-v4-compat, digitalocean-spaces, wasabi, exoscale-sos, scaleway-objectstorage)').choices(['filesystem', 's3', 'minio', 's3-v4-compat', 'digitalocean-spaces', 'wasabi', 'exoscale-sos', 'scaleway-objectstorage']))
      .option('--folder <dir>', 'filesystem: an absolute folder inside one the operator allows (BERTH_BACKUP_ROOTS)')
      .addOption(new Option('--format <format>', 'tgz: one archive per app; rsync: file by file, unchanged files linked to the previous backup').choices(['tgz', 'rsync']))
      .option('--sync-concurrency <n>', 'rsync: how many files are stored at once (1-1000, default 10)', (v) => Number.parseInt(v, 10))
      .option('--encrypted-filenames', 'rsync with a password: file names on the target are encrypted too')
      .option('--no-encrypted-filenames', 'rsync: file names on the target are the real ones')
      .option('--retention <duration>', 'how long the cleanup keeps backups: 7d, 48h, seconds, or forever', seconds({ forever: true }))
      .option('--interval <duration>', 'how often the box is backed up automatically: at least 6h (1d, 12h, seconds)', seconds())
      .option('--password-stdin', 'read an encryption password (at least 8 characters) from stdin; new backups are encrypted')
      .option('--no-encryption', 'remove the encryption password: new backups are not encrypted')
      .option('--bucket <name>', 's3: the bucket')
      .option('--prefix <path>', 's3: a prefix for the keys in the bucket')
      .option('--region <region>', 's3: the region (default us-east-1)')
      .option('--endpoint <url>', 's3: an http(s) URL for an S3-compatible server such as MinIO')
      .option('--access-key-id <id>', 's3: the access key id')
      .option('--secret-access-key-stdin', 's3: read the secret access key from stdin'),
  )
    .addHelpText('after', '\nExamples:\n  berth backups config set --provider filesystem --folder /var/lib/berth/backups/nightly --retention 7d --interval 1d\n  echo "$PASSWORD" | berth backups config set --password-stdin\n  echo "$SECRET" | berth backups config set --provider s3 --bucket my-backups --region eu-central-1 --access-key-id AKIA… --secret-access-key-stdin')
    .action((options: ConfigSetOptions) => ctx.run(() => setConfig(ctx, options)));
}

async function setConfig(ctx: Context, options: ConfigSetOptions): Promise<void> {
  if (options.passwordStdin && options.secretAccessKeyStdin) throw new UsageError('stdin can give only one secret: --password-stdin or --secret-access-key-stdin');
  if (options.passwordStdin && options.encryption === false) throw new UsageError('give --password-stdin or --no-encryption, not both');
  const secret = options.passwordStdin || options.secretAccessKeyStdin ? await readStdin(ctx.io) : undefined;
  if ((options.passwordStdin || options.secretAccessKeyStdin) && !secret) throw new UsageError('stdin was empty: pipe the secret in');
  const body = {
    ...(options.provider ? { provider: options.provider } : {}),
    ...(options.folder !== undefined ? { backupFolder: options.folder } : {}),
    ...(options.format ? { format: options.format } : {}),
    ...(options.syncConcurrency !== undefined ? { syncConcurrency: options.syncConcurrency } : {}),
    ...(options.encryptedFilenames !== undefined ? { encryptedFilenames: options.encryptedFilenames } : {}),
    ...(options.retention !== undefined ? { retentionSecs: options.retention } : {}),
    ...(options.interval !== undefined ? { intervalSecs: options.interval } : {}),
    ...(options.passwordStdin ? { password: secret } : options.encryption === false ? { password: null } : {}),
    ...(options.bucket !== undefined ? { bucket: options.bucket } : {}),
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.accessKeyId !== undefined ? { accessKeyId: options.accessKeyId } : {}),
    ...(options.secretAccessKeyStdin ? { secretAccessKey: secret } : {}),
  };
  if (!Object.keys(body).length) throw new UsageError('nothing to change: give at least one flag (berth backups config set --help)');
  const { api } = ctx.session({ profile: options.profile });
  await unwrap(api.POST('/settings/backup_config', { body }));
  const current = await unwrap(api.GET('/settings/backup_config'));
  if (options.json) return printJson(ctx.io, current);
  say(ctx.io, `Stored the backup configuration.\n${describeConfig(current)}`);
}
