import type { Task } from '../../../services/tasks/task-repo';
import type { BoxHandlers } from '../handler-types';
import { type BoxServices, noContent, ok, principalOf } from '../services';

/** Task JSON per seed 001 (times in UTC milliseconds), plus pending, startTime and endTime. */
export function renderTask(task: Task) {
  return {
    id: task.id,
    type: task.type,
    percent: task.percent,
    message: task.message,
    error: task.error,
    active: task.state === 'active',
    pending: task.state === 'pending',
    success: task.state === 'success',
    result: task.result ?? null,
    creationTime: task.createdAt,
    startTime: task.startedAt,
    endTime: task.endedAt,
    ts: task.ts,
  };
}

const logLine = (entry: { at: number; line: string }) => `${new Date(entry.at).toISOString()} ${entry.line}`;

export function taskHandlers(s: BoxServices) {
  return {
    listTasks: async (call) => {
      const { type, page = 1, per_page: perPage = 25 } = call.query;
      const tasks = await s.tasks.list(principalOf(call).instanceId, { type, page, perPage });
      return ok({ tasks: tasks.map(renderTask) });
    },

    getTask: async (call) => ok(renderTask(await s.tasks.get(principalOf(call).instanceId, Number(call.params.taskId)))),

    getTaskLogs: async (call) => {
      const lines = call.query.lines;
      const entries = await s.tasks.logs(principalOf(call).instanceId, Number(call.params.taskId), lines);
      call.res.status(200).type('text/plain; charset=utf-8').send(entries.map((e) => logLine(e) + '\n').join(''));
      return undefined;
    },

    getTaskLogStream: async (call) => {
      const { res, req } = call;
      const controller = new AbortController();
      req.on('close', () => controller.abort());
      const lastEventId = Number(req.headers['last-event-id']);
      const resumeAfter = Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : undefined;
      const events = s.tasks.follow(principalOf(call).instanceId, Number(call.params.taskId), call.query.lines ?? 10_000, controller.signal, resumeAfter);
      // The first step checks the task exists, so a 404 still comes back as a JSON error.
      const first = await events.next();
      res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      res.flushHeaders();
      for (let step = first; !step.done; step = await events.next()) {
        const event = step.value;
        if (event.kind === 'line') {
          res.write(`id: ${event.id}\ndata: ${JSON.stringify({ realtimeTimestamp: event.at, message: event.line })}\n\n`);
        } else {
          res.write(`event: end\ndata: ${JSON.stringify(renderTask(event.task))}\n\n`);
        }
      }
      res.end();
      return undefined;
    },

    stopTask: async (call) => {
      await s.tasks.stop(principalOf(call).instanceId, Number(call.params.taskId));
      return noContent();
    },
  } satisfies Partial<BoxHandlers>;
}
