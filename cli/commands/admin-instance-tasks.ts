import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../context';
import { adminTasks, adminUnwrap, type AdminClient } from '../client/admin-api';
import { saveBody } from '../client/download';
import { CliError } from '../client/errors';
import type { Task } from '../client/types';
import { printJson, say } from '../ui/io';
import { confirmed } from '../ui/prompt';
import { adminCommon, DOMAIN_ARG, type AdminOptions } from './admin-options';
import { waitable } from './options';
import { followTask, reportTask } from './task-output';

interface DeleteOptions extends AdminOptions {
  wait?: boolean;
  yes?: boolean;
}

interface ExportOptions extends AdminOptions {
  wait?: boolean;
  output?: string;
  from?: string;
}

/** `admin instances delete|export`: the instance operations the admin API runs as tasks. */
export function registerInstanceTaskCommands(instances: Command, ctx: Context): void {
  waitable(
    adminCommon(
      instances
        .command('delete')
        .argument(...DOMAIN_ARG)
        .description('delete an instance with everything it owns: users, apps and their data, tasks, audit log (a task)')
        .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)'),
    ),
  )
    .addHelpText('after', "\nIts box API refuses every request at once. Export first to keep its data or its audit log.")
    .action((domain: string, options: DeleteOptions) =>
      ctx.run(async () => {
        const { api } = await ctx.adminSession(options);
        const path = { domain };
        // Looked up first so an unknown domain fails before anything is asked.
        await adminUnwrap(api.GET('/instances/{domain}', { params: { path } }));
        const question = `Delete ${domain} with its users, apps, app data and audit log?`;
        if (!(await confirmed(ctx.io, options.yes, question, 'delete removes the instance and all its data: pass --yes to confirm'))) return say(ctx.io, 'Nothing was deleted.');
        const answer = await adminUnwrap(api.DELETE('/instances/{domain}', { params: { path } }));
        const json = Boolean(options.json);
        const taskId = answer.task_id;
        if (!options.wait) {
          if (json) printJson(ctx.io, answer);
          else say(ctx.io, `Deleting ${domain} (task ${taskId}). berth admin instances get ${domain} answers "No instance" once it is gone.`);
          return 0;
        }
        if (!json) say(ctx.io, `Deleting ${domain} (task ${taskId})…`);
        // The task row belongs to the instance and goes with it: a task gone with its instance succeeded.
        const source = adminTasks(api, async (id) => ((await instanceGone(api, domain)) ? deletedTask(id) : undefined));
        const task = await followTask(ctx, source, taskId, { json, followHint: `berth admin instances get ${domain} shows whether it is gone` });
        return reportTask(ctx, task, { json, success: `Deleted ${domain}.`, jsonValue: { ...answer, task } });
      }),
    );

  waitable(
    adminCommon(
      instances
        .command('export')
        .argument(...DOMAIN_ARG)
        .description("export an instance: its records (users, groups, apps, settings, audit log) and each app's /app/data (a task)")
        .option('-o, --output <file>', 'where the records part goes (implies --wait; default <domain>-<export id>.tar.gz); app parts go beside it as <name>-<app id>.tar')
        .option('--from <exportId>', 'download an export made before (its id) instead of starting a new one', exportId),
    ),
  )
    .addHelpText('after', '\nWith --wait, --output or --from the parts are downloaded once the task has built them. Files are written readable by you only.')
    .action((domain: string, options: ExportOptions) =>
      ctx.run(async () => {
        const { api } = await ctx.adminSession(options);
        const json = Boolean(options.json);
        const path = { domain };
        const started = options.from
          ? await existingExport(api, domain, options.from)
          : await adminUnwrap(api.POST('/instances/{domain}/export', { params: { path } }));
        const answer = { export_id: started.export_id, task_id: started.task_id };
        if (!options.wait && !options.output && !options.from) {
          if (json) printJson(ctx.io, answer);
          else say(ctx.io, `Exporting ${domain} (export ${answer.export_id}, task ${answer.task_id}). Download it when done: berth admin instances export ${domain} --from ${answer.export_id}`);
          return 0;
        }
        let task: Task | undefined;
        if (answer.task_id !== null) {
          if (!json) say(ctx.io, `Exporting ${domain} (export ${answer.export_id}, task ${answer.task_id})…`);
          task = await followTask(ctx, adminTasks(api), answer.task_id, { json, followHint: `berth admin instances export ${domain} --from ${answer.export_id} downloads it later` });
          if (!task.success) return reportTask(ctx, task, { json, success: '', jsonValue: { ...answer, task } });
        }
        const files = await download(ctx, api, domain, answer.export_id, options.output, json);
        if (json) printJson(ctx.io, { ...answer, task, files });
        return 0;
      }),
    );
}

/** Whether the instance is gone (404), after its deletion task disappeared. */
async function instanceGone(api: AdminClient, domain: string): Promise<boolean> {
  const found = await api.GET('/instances/{domain}', { params: { path: { domain } } });
  if (found.response.status === 404) return true;
  await adminUnwrap(Promise.resolve(found));
  return false;
}

/** A deletion task as it ended, told from the instance's absence (its row went with the instance). */
function deletedTask(id: number): Task {
  const now = Date.now();
  return { id, type: 'instanceDelete', percent: 100, message: 'Deleted', error: null, active: false, pending: false, success: true, result: { removed: true }, creationTime: now, startTime: null, endTime: now, ts: now };
}

async function existingExport(api: AdminClient, domain: string, id: string): Promise<{ export_id: string; task_id: number | null }> {
  const found = await adminUnwrap(api.GET('/instances/{domain}/exports/{exportId}', { params: { path: { domain, exportId: id } } }));
  // A finished export's task may have been cleaned away: nothing to wait for then.
  return { export_id: found.id, task_id: found.state === 'done' ? null : found.task_id };
}

/** Downloads every part of a finished export and returns the files written. */
async function download(ctx: Context, api: AdminClient, domain: string, id: string, output: string | undefined, json: boolean) {
  const found = await adminUnwrap(api.GET('/instances/{domain}/exports/{exportId}', { params: { path: { domain, exportId: id } } }));
  if (found.state !== 'done') throw new CliError(`export ${id} is ${found.state === 'queued' ? 'not finished (its task did not end well: berth admin instances export --help)' : 'failed'}`);
  const first = output ?? `${domain}-${id}.tar.gz`;
  const stem = first.replace(/(\.tar\.gz|\.tgz|\.gz|\.tar)$/, '');
  const parts = [{ cursor: undefined as string | undefined, file: first }, ...found.parts_cursors.map((cursor) => ({ cursor, file: `${stem}-${cursor}.tar` }))];
  const files: Array<{ cursor: string | null; file: string; size: number }> = [];
  for (const part of parts) {
    const query = part.cursor ? { cursor: part.cursor } : {};
    const body = await adminUnwrap(api.GET('/instances/{domain}/exports/{exportId}/data', { params: { path: { domain, exportId: id }, query }, parseAs: 'stream' }));
    const size = await saveBody(body as ReadableStream<Uint8Array>, part.file);
    files.push({ cursor: part.cursor ?? null, file: path.resolve(part.file), size });
    if (!json) say(ctx.io, `Wrote ${part.file} (${size} bytes${part.cursor ? `, app ${part.cursor}` : ', the records'})`);
  }
  return files;
}

function exportId(value: string): string {
  if (!/^[\w-]{1,64}$/.test(value)) throw new InvalidArgumentError('An export id is letters, digits and dashes (as printed when the export started).');
  return value;
}
