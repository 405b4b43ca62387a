import { TASK_ENV, waitForTask, type TestApp, createTask } from '../helpers/app';
import { errLines, runBerth, runBerthInTerminal, startBerth, startCliBox, until, type CliBox } from './run-berth';

jest.setTimeout(60_000);

/** Waiting on tasks with the built `berth`: outcomes, progress, Ctrl-C. */
describe('berth tasks', () => {
  let box: CliBox;
  let app: TestApp;
  let home: string;
  let token: string;
  let instanceId: string;
  beforeAll(async () => {
    box = await startCliBox({ env: TASK_ENV, workers: true, login: true });
    ({ app, home, token } = box);
    instanceId = (await app.berth.store.instances.findDefault())!.id;
  });
  afterAll(() => box.close());

  const create = (type: string, args: Record<string, unknown> = {}) => createTask(app.berth, { instanceId, type, args });

  it('tasks wait on a failing task: exit 1 and the task error in one line', async () => {
    const task = await create('_fail', { message: 'the disk is on fire' });
    const res = await runBerth(['tasks', 'wait', String(task.id)], { home });
    expect(res.code).toBe(1);
    expect(errLines(res)).toEqual([`berth: task ${task.id} failed: the disk is on fire`]);

    const json = await runBerth(['tasks', 'wait', String(task.id), '--json'], { home });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: task.id, success: false, error: { code: 'failed', message: 'the disk is on fire' } });

    const logs = await runBerth(['tasks', 'logs', String(task.id)], { home });
    expect(logs.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z about to fail$/m);
    const got = await runBerth(['tasks', 'get', String(task.id)], { home });
    expect(got.stdout).toMatch(/State:\s+failed/);
    expect(got.stdout).toMatch(/Error:\s+failed: the disk is on fire/);
  });

  it('tasks wait on a task that succeeds: exit 0, progress as plain lines when stdout is not a terminal', async () => {
    const task = await create('_progress', { steps: 4, stepMs: 400 });
    const res = await runBerth(['tasks', 'wait', String(task.id)], { home });
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe(`Task ${task.id} (_progress) succeeded.`);
    expect(lines.some((l) => new RegExp(`^task ${task.id}: \\d+% step \\d of 4$`).test(l))).toBe(true);
    expect(res.stdout).not.toContain('\r');

    const list = await runBerth(['tasks', 'list', '--json'], { home });
    expect(JSON.parse(list.stdout).map((t: { id: number }) => t.id)).toContain(task.id);
    const table = await runBerth(['tasks', 'list', '--type', '_progress'], { home });
    expect(table.stdout).toMatch(new RegExp(`^${task.id}\\s+_progress\\s+succeeded\\s+100%`, 'm'));
  });

  it('tasks logs -f follows a running task until it ends', async () => {
    const task = await create('_progress', { steps: 3, stepMs: 300 });
    const res = await runBerth(['tasks', 'logs', '-f', String(task.id)], { home });
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n').map((l) => l.replace(/^\S+ /, ''))).toEqual(['step 1', 'step 2', 'step 3']);
  });

  it('draws a bar on a terminal; Ctrl-C asks whether to stop the task, "n" keeps waiting, "y" stops it', async () => {
    const task = await create('_sleep', { ms: 30_000 });
    await waitForTask(app, token, task.id, (t) => t.active);
    const res = await runBerthInTerminal(['tasks', 'wait', String(task.id)], {
      home,
      keys: [
        { afterMs: 1500, text: '\u0003' },
        { afterMs: 2300, text: 'n\r' },
        { afterMs: 3300, text: '\u0003' },
        { afterMs: 4100, text: 'y\r' },
      ],
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`\r${String.fromCharCode(27)}[2K[........................]   0%`);
    expect(res.stdout).toContain(`Stop task ${task.id}? [y/N]`);
    expect(res.stdout).toContain(`Still waiting for task ${task.id} (it goes on)`);
    expect(res.stdout).toContain(`Stopping task ${task.id}…`);
    expect(res.stdout).toContain(`berth: task ${task.id} ended (stopped)`);
    const done = await waitForTask(app, token, task.id);
    expect(done.error).toMatchObject({ code: 'stopped' });
  });

  it('Ctrl-C without a terminal stops waiting (exit 130) and leaves the task running; tasks stop stops it', async () => {
    const task = await create('_sleep', { ms: 30_000 });
    const waiting = startBerth(['tasks', 'wait', String(task.id)], { home });
    await until(() => waiting.stdout().includes(`task ${task.id}:`), 'the first progress line');
    waiting.child.kill('SIGINT');
    const res = await waiting.result;
    expect(res.code).toBe(130);
    expect(errLines(res)).toEqual([`berth: stopped waiting; task ${task.id} goes on (berth tasks stop ${task.id} stops it)`]);
    expect((await waitForTask(app, token, task.id, () => true)).active).toBe(true);

    const stop = await runBerth(['tasks', 'stop', String(task.id)], { home });
    expect(stop.code).toBe(0);
    const ended = await runBerth(['tasks', 'wait', String(task.id)], { home });
    expect([ended.code, errLines(ended)]).toEqual([1, [`berth: task ${task.id} ended (stopped): ${(await waitForTask(app, token, task.id)).error.message}`]]);
  });

  it('an unknown task is a one-line 404, exit 1', async () => {
    const res = await runBerth(['tasks', 'wait', '999999'], { home });
    expect(res.code).toBe(1);
    expect(errLines(res)).toHaveLength(1);
    expect(errLines(res)[0]).toMatch(/^berth: /);
  });
});
