import type { Command } from 'commander';
import type { Context } from '../context';
import { unwrap } from '../client/api';
import { readEvents } from '../client/sse';
import type { Task } from '../client/types';
import { taskState, when } from '../ui/format';
import { printJson, say } from '../ui/io';
import { record, table } from '../ui/table';
import { common, integer, paged, taskId, type CommonOptions, type PageOptions } from './options';
import { awaitTask, reportTask } from './task-output';

interface ListOptions extends CommonOptions, PageOptions {
  type?: string;
}

/** `tasks …`: long operations (installs, updates, …) to list, read, follow, stop and wait for. */
export function registerTaskCommands(program: Command, ctx: Context): void {
  const tasks = program.command('tasks').description('list, follow, stop and wait for long operations (admins)');

  paged(common(tasks.command('list').description('list tasks, newest first').option('--type <type>', 'only tasks of this type (app, backup, …)')), 'tasks').action((options: ListOptions) =>
    ctx.run(async () => {
      const query = { type: options.type, page: options.page, per_page: options.perPage };
      const { tasks: list } = await unwrap(ctx.session({ profile: options.profile }).api.GET('/tasks', { params: { query } }));
      if (options.json) return printJson(ctx.io, list);
      if (!list.length) return say(ctx.io, 'No tasks.');
      say(ctx.io, table(['ID', 'TYPE', 'STATE', 'PERCENT', 'MESSAGE', 'CREATED'], list.map((t) => [t.id, t.type, taskState(t), `${t.percent}%`, t.error?.message ?? t.message, when(t.creationTime)])));
    }),
  );

  common(tasks.command('get').argument('<id>', 'the task id', taskId).description("show a task: state, progress, error and result")).action((id: number, options: CommonOptions) =>
    ctx.run(async () => {
      const task = await unwrap(ctx.session({ profile: options.profile }).api.GET('/tasks/{taskId}', { params: { path: { taskId: id } } }));
      if (options.json) return printJson(ctx.io, task);
      say(ctx.io, describeTask(task));
    }),
  );

  common(
    tasks
      .command('logs')
      .argument('<id>', 'the task id', taskId)
      .description("print a task's log (-f: follow it live until the task ends)")
      .option('-f, --follow', 'keep printing new lines until the task ends')
      .option('-n, --lines <n>', 'only the last n lines', integer(1)),
  )
    .addHelpText('after', '\nLines are "<ISO time> <line>"; with --follow --json, one JSON object per line, and the final task last.')
    .action((id: number, options: CommonOptions & { follow?: boolean; lines?: number }) =>
      ctx.run(async () => {
        const { api } = ctx.session({ profile: options.profile });
        const path = { taskId: id };
        if (!options.follow) {
          ctx.io.stdout.write(await unwrap(api.GET('/tasks/{taskId}/logs', { params: { path, query: { lines: options.lines } }, parseAs: 'text' })));
          return;
        }
        const body = await unwrap(api.GET('/tasks/{taskId}/logstream', { params: { path, query: { lines: options.lines } }, parseAs: 'stream' }));
        for await (const event of readEvents(body as ReadableStream<Uint8Array>)) {
          if (options.json) ctx.io.stdout.write(`${event.data}\n`);
          else if (event.event === 'end') break;
          else {
            const line = JSON.parse(event.data) as { realtimeTimestamp: number; message: string };
            ctx.io.stdout.write(`${new Date(line.realtimeTimestamp).toISOString()} ${line.message}\n`);
          }
          if (event.event === 'end') break;
        }
      }),
    );

  common(tasks.command('stop').argument('<id>', 'the task id', taskId).description('stop a task (it ends with error code "stopped")')).action((id: number, options: CommonOptions) =>
    ctx.run(async () => {
      await unwrap(ctx.session({ profile: options.profile }).api.POST('/tasks/{taskId}/stop', { params: { path: { taskId: id } } }));
      if (options.json) return printJson(ctx.io, { taskId: id, stopping: true });
      say(ctx.io, `Stopping task ${id}. berth tasks wait ${id} waits until it has ended.`);
    }),
  );

  common(tasks.command('wait').argument('<id>', 'the task id', taskId).description('wait for a task to end, showing its progress; exits 0 when it succeeded, 1 when not'))
    .addHelpText('after', '\nCtrl-C asks whether to stop the task (at a terminal); elsewhere it stops waiting (exit 130) and the task goes on.')
    .action((id: number, options: CommonOptions) =>
      ctx.run(async () => {
        const session = ctx.session({ profile: options.profile });
        const json = Boolean(options.json);
        const task = await awaitTask(ctx, session, id, json);
        return reportTask(ctx, task, { json, success: `Task ${id} (${task.type}) succeeded.` });
      }),
    );
}

function describeTask(task: Task): string {
  return record([
    ['ID', task.id],
    ['Type', task.type],
    ['State', taskState(task)],
    ['Progress', `${task.percent}%${task.message ? ` ${task.message}` : ''}`],
    ['Error', task.error ? `${task.error.code}: ${task.error.message}` : null],
    ['Result', task.success && task.result !== null && task.result !== undefined ? JSON.stringify(task.result) : null],
    ['Created', when(task.creationTime)],
    ['Started', when(task.startTime)],
    ['Ended', when(task.endTime)],
  ]);
}
