import { APP_TASK_TYPE } from '../../services/apps/app-tasks';
import { createLogger } from '../../services/core/logger';
import { TaskCatalogue } from '../../services/tasks/task-catalogue';
import { bindHandlers, handle } from '../../services/tasks/task-handler';
import type { Task } from '../../services/tasks/task-repo';
import { defineTaskType } from '../../services/tasks/task-type';
import { FAIL_TASK_TYPE, NOOP_TASK_TYPE, PROGRESS_TASK_TYPE, SLEEP_TASK_TYPE } from '../../services/tasks/test-tasks';
import { activate, createTask, startTestApp, TASK_ENV, waitForTask, type TestApp } from '../helpers/app';

const silent = createLogger('silent');

describe('task types', () => {
  const type = defineTaskType<{ name: string; count?: number }>({
    name: 'example',
    args: {
      type: 'object',
      properties: { name: { type: 'string' }, count: { type: 'integer', nullable: true } },
      required: ['name'],
    },
    timeoutMs: 1000,
    concurrency: 1,
    idempotent: true,
    onConflict: 'queue',
  });

  it('parses args of the right shape and names the wrong field with a 400', () => {
    expect(type.parse({ name: 'a', count: 2 })).toEqual({ name: 'a', count: 2 });
    expect(() => type.parse({ count: 2 })).toThrow(expect.objectContaining({ status: 400, code: 'VALIDATION_ERROR', details: { field: 'args.name' } }));
    expect(() => type.parse({ name: 'a', count: 'two' })).toThrow(expect.objectContaining({ status: 400, details: { field: 'args.count' } }));
    expect(type.tryParse(null)).toMatchObject({ ok: false });
  });

  it('refuses a handler without a type, a type without a handler, and a type added twice', () => {
    const catalogue = new TaskCatalogue({ logger: silent }).add(NOOP_TASK_TYPE);
    expect(() => bindHandlers(catalogue, [handle(NOOP_TASK_TYPE, async () => null), handle(type, async () => null)])).toThrow(
      'task handler for example has no type in the catalogue',
    );
    expect(() => bindHandlers(catalogue.add(type), [handle(NOOP_TASK_TYPE, async () => null)])).toThrow('task types without a handler: example');
    expect(() => catalogue.add(type)).toThrow('task type example added twice');
    expect(() => new TaskCatalogue({ logger: silent }).onSettled(type, async () => undefined)).toThrow('not in the catalogue');
  });

  it('gives concurrency from BERTH_TASK_CONCURRENCY over the type\'s own', () => {
    const catalogue = new TaskCatalogue({ logger: silent }).add(NOOP_TASK_TYPE, type);
    const handlers = bindHandlers(catalogue, [handle(NOOP_TASK_TYPE, async () => null), handle(type, async () => null)], { example: 5 });
    expect(handlers.get('example')?.concurrency).toBe(5);
    expect(handlers.get('_noop')?.concurrency).toBe(NOOP_TASK_TYPE.concurrency);
  });
});

describe('task args and settle hooks, with workers in process', () => {
  let app: TestApp;
  let instanceId: string;
  let token: string;
  const settled = new Map<number, Task[]>();
  const record = async ({ task }: { task: Task }) => void settled.set(task.id, [...(settled.get(task.id) ?? []), task]);

  beforeAll(async () => {
    app = await startTestApp({ env: TASK_ENV, workers: true });
    token = (await activate(app)).token;
    instanceId = (await app.berth.store.instances.findDefault())!.id;
    for (const type of [NOOP_TASK_TYPE, FAIL_TASK_TYPE, SLEEP_TASK_TYPE, PROGRESS_TASK_TYPE]) app.berth.taskTypes.onSettled(type, record);
  });
  afterAll(() => app.close());

  /** The hook runs just after the row ends: wait for it. */
  async function hookCalls(taskId: number, count = 1): Promise<Task[]> {
    const deadline = Date.now() + 10_000;
    while ((settled.get(taskId)?.length ?? 0) < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    return settled.get(taskId) ?? [];
  }

  it('refuses bad args on create with a 400 naming the field, and stores nothing', async () => {
    const before = Number((await app.berth.db('tasks').count({ n: '*' }))[0].n);
    await expect(createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 'long' } })).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      details: { field: 'args.ms' },
    });
    await expect(createTask(app.berth, { instanceId, type: 'app', args: { op: 'install' } })).rejects.toMatchObject({
      status: 400,
      details: { field: 'args.appId' },
    });
    await expect(createTask(app.berth, { instanceId, type: 'app', args: { appId: 'x', op: 'explode' } })).rejects.toMatchObject({
      status: 400,
      details: { field: 'args.op' },
    });
    expect(Number((await app.berth.db('tasks').count({ n: '*' }))[0].n)).toBe(before);
  });

  it('fails a row whose args do not fit its type, and the worker carries on', async () => {
    // A row written by hand (or by older code) reaches the worker without create's check. Made old and with no
    // queue job, so the reaper queues it as it would a row whose job Redis lost.
    const row = await app.berth.store.tasks.insert({
      instanceId, type: APP_TASK_TYPE.name, args: { appId: 42, op: 'install' }, objectKey: null, exclusiveKey: null, createdBy: null, timeoutMs: 60_000, now: Date.now() - 60_000,
    });
    await app.berth.reaper!.sweep();
    expect(await waitForTask(app, token, row.id)).toMatchObject({ success: false, error: { code: 'failed', message: expect.stringContaining('args.appId') } });
    const next = await createTask(app.berth, { instanceId, type: '_noop' });
    expect(await waitForTask(app, token, next.id)).toMatchObject({ success: true });
  });

  it('runs the hook on success and on failure, with the ended row and its args', async () => {
    const ok = await createTask(app.berth, { instanceId, type: '_noop' });
    const failed = await createTask(app.berth, { instanceId, type: '_fail', args: { message: 'no luck' } });
    expect(await hookCalls(ok.id)).toMatchObject([{ state: 'success' }]);
    expect(await hookCalls(failed.id)).toMatchObject([{ state: 'error', error: { code: 'failed', message: 'no luck' } }]);
  });

  it('runs the hook on a timeout and on a stop while running', async () => {
    const slow = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 60_000, ignoreSignal: true }, timeoutMs: 300 });
    const stopped = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 60_000 } });
    await waitForTask(app, token, stopped.id, (t) => t.active);
    await app.berth.tasks.stop(instanceId, stopped.id);
    expect(await hookCalls(slow.id)).toMatchObject([{ state: 'error', error: { code: 'timeout' } }]);
    expect(await hookCalls(stopped.id)).toMatchObject([{ state: 'error', error: { code: 'stopped' } }]);
  });

  it('runs the hook on a stop while pending, and for every task a stop-all ends', async () => {
    const first = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 60_000 }, objectKey: 'hooks' });
    const queued = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 10 }, objectKey: 'hooks' });
    await waitForTask(app, token, first.id, (t) => t.active);
    await app.berth.tasks.stop(instanceId, queued.id);
    expect(await hookCalls(queued.id)).toMatchObject([{ state: 'error', error: { code: 'stopped' } }]);
    const more = await createTask(app.berth, { instanceId, type: '_sleep', args: { ms: 60_000 }, objectKey: 'hooks' });
    expect(await app.berth.tasks.stopAllOf(instanceId, -1, 10_000)).toBeGreaterThanOrEqual(2);
    expect(await hookCalls(first.id)).toMatchObject([{ error: { code: 'stopped' } }]);
    expect(await hookCalls(more.id)).toMatchObject([{ error: { code: 'stopped' } }]);
  });

  it('runs the hook when the reaper finds a crash, and not when it re-queues an idempotent task', async () => {
    const longAgo = Date.now() - 60_000;
    const insert = (type: string, args: unknown) =>
      app.berth.store.tasks.insert({ instanceId, type, args, objectKey: null, exclusiveKey: null, createdBy: null, timeoutMs: 60_000, now: longAgo });
    // Rows claimed by a worker that died long ago (no queue job, so no live worker takes them first).
    const crashed = await insert(PROGRESS_TASK_TYPE.name, { steps: 1, stepMs: 1 });
    const rerun = await insert(NOOP_TASK_TYPE.name, {});
    await app.berth.store.tasks.claim(crashed.id, 'dead-worker', longAgo);
    await app.berth.store.tasks.claim(rerun.id, 'dead-worker', longAgo);
    await app.berth.reaper!.sweep();
    expect(await hookCalls(crashed.id)).toMatchObject([{ state: 'error', error: { code: 'crashed' } }]);
    // The idempotent one runs again on a live worker: one hook call, for its success.
    expect(await waitForTask(app, token, rerun.id)).toMatchObject({ success: true });
    expect(await hookCalls(rerun.id)).toMatchObject([{ state: 'success' }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(settled.get(rerun.id)).toHaveLength(1);
  });
});
