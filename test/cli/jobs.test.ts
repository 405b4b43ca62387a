import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bearer, TASK_ENV } from '../helpers/app';
import { errLines, runBerth, startBerth, startCliBox, until, type CliBox } from './run-berth';

jest.setTimeout(60_000);

const INI = `
[job-exec "file-exec"]
schedule = @every 1h
container = web
command = echo from-file

[job-local "file-local"]
schedule = @daily
command = uptime
`;

/**
 * `berth jobs …` with the built CLI against a real Berth whose scheduler reads an INI file. No worker runs
 * (`workers: false`): an execution started here stays queued, so run, stop and logs are tested on queued ones.
 */
describe('berth jobs', () => {
  let box: CliBox;
  let home: string;
  let dir: string;
  let file: string;
  const berth = (...args: string[]) => runBerth(args, { home });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-ini-'));
    file = path.join(dir, 'ofelia.ini');
    fs.writeFileSync(file, INI);
    box = await startCliBox({ workers: false, login: true, env: { BERTH_SCHEDULER_CONFIG: file, BERTH_TEST_TASKS: '1', BERTH_TEST_JOB_RUNTIME: 'noop' } });
    home = box.home;
    const auth = bearer(box.token);
    await box.app.api.put('/api/job/backup').set(auth).send({ type: 'exec', schedule: '0 3 * * *', command: 'backup.sh', container: 'myapp', environment: ['A=1'] }).expect(201);
  });
  afterAll(async () => {
    await box.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reload reads the INI file: counts, refused jobs, then a broken file (exit 1, its line, jobs kept)', async () => {
    // Tests run without schedules, so this is the file's first reading.
    const first = await berth('jobs', 'reload');
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout.trim()).toBe('Configuration reloaded successfully: 2 added, 0 updated, 0 removed.');

    fs.writeFileSync(file, `${INI.replace('echo from-file', 'echo changed').replace(/\[job-local[\s\S]*$/, '')}
[job-run "file-new"]
schedule = @hourly
image = alpine

[job-run "file-bad"]
schedule = 99 * * * *
image = alpine
`);
    const second = await berth('jobs', 'reload');
    expect(second.code).toBe(0);
    const lines = second.stdout.trim().split('\n');
    expect(lines[0]).toBe('Configuration reloaded successfully: 1 added, 1 updated, 1 removed.');
    expect(lines[1]).toMatch(/^refused file-bad: .+/);

    fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8')}\n[job-compose "y"]\n`);
    const broken = await berth('jobs', 'reload', '--json');
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout);
    expect(report).toMatchObject({ reloaded: false, jobsAdded: 0, jobsUpdated: 0, jobsRemoved: 0, errors: [{ file, line: expect.any(Number) }] });
    const text = await berth('jobs', 'reload');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`error ${file}:${report.errors[0].line}: `);
    expect(JSON.parse((await berth('jobs', 'list', '--json')).stdout).total).toBe(3);
  });

  it('list prints a table of every source, and --json the API body', async () => {
    const res = await berth('jobs', 'list');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['NAME', 'TYPE', 'SCHEDULE', 'ORIGIN', 'ENABLED', 'STATUS', 'NEXT RUN']);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 6))).toEqual([
      ['backup', 'exec', '0 3 * * *', 'api', 'yes', 'never run'],
      ['file-exec', 'exec', '@every 1h', 'config', 'yes', 'never run'],
      ['file-new', 'run', '@hourly', 'config', 'yes', 'never run'],
    ]);
    expect(lines[1]).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    const json = JSON.parse((await berth('jobs', 'list', '--json')).stdout);
    expect(json).toMatchObject({ total: 3, running: 0 });
    expect(json.jobs.map((j: { name: string; origin: string }) => `${j.name}:${j.origin}`)).toEqual(['backup:api', 'file-exec:config', 'file-new:config']);
  });

  it('get shows the fields, no history yet and the metrics; --json is the API body', async () => {
    const res = await berth('jobs', 'get', 'file-exec');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Name:\s+file-exec$/m);
    expect(res.stdout).toMatch(/^Origin:\s+config$/m);
    expect(res.stdout).toMatch(/^Command:\s+echo changed$/m);
    expect(res.stdout).toMatch(/^Container:\s+web$/m);
    expect(res.stdout).not.toMatch(/^Image:/m);
    expect(res.stdout).toContain('No executions yet.');
    expect(res.stdout).toMatch(/^Runs:\s+0 \(0 succeeded, 0 failed\)$/m);
    const json = JSON.parse((await berth('jobs', 'get', 'backup', '--json')).stdout);
    expect(json).toMatchObject({ name: 'backup', environment: ['A=1'], history: [], metrics: { totalRuns: 0 } });
  });

  it("a missing job is the server's message on one line, exit 1, for every command that names one", async () => {
    for (const args of [['get', 'nope'], ['run', 'nope'], ['enable', 'nope'], ['disable', 'nope'], ['get', 'nope', '--json']]) {
      const res = await berth('jobs', ...args);
      expect([args, res.code, errLines(res), res.stdout]).toEqual([args, 1, ["berth: Job 'nope' not found"], '']);
    }
    const execution = await berth('jobs', 'logs', '00000000-0000-4000-8000-000000000000');
    expect([execution.code, errLines(execution)]).toEqual([1, ["berth: Execution '00000000-0000-4000-8000-000000000000' not found"]]);
    const usage = await berth('jobs', 'get');
    expect(usage.code).toBe(2);
  });

  it('enable and disable change a job only when needed, and say so', async () => {
    const off = await berth('jobs', 'disable', 'file-exec');
    expect([off.code, off.stdout.trim()]).toEqual([0, 'Job file-exec disabled.']);
    const again = await berth('jobs', 'disable', 'file-exec');
    expect([again.code, again.stdout.trim()]).toEqual([0, 'Job file-exec was already disabled: nothing changed.']);
    expect((await berth('jobs', 'list')).stdout).toMatch(/^file-exec\s+exec\s+@every 1h\s+config\s+no\s+never run\s+-$/m);

    const on = await berth('jobs', 'enable', 'file-exec', '--json');
    expect(JSON.parse(on.stdout)).toEqual({ name: 'file-exec', enabled: true, changed: true, nextRun: expect.any(String) });
    const onAgain = await berth('jobs', 'enable', 'file-exec');
    expect(onAgain.stdout.trim()).toMatch(/^Job file-exec was already enabled: nothing changed; next run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.$/);
    expect(JSON.parse((await berth('jobs', 'get', 'file-exec', '--json')).stdout).enabled).toBe(true);
  });

  it('run prints the execution id; the queued execution shows in get, its logs print, stop stops it', async () => {
    const res = await berth('jobs', 'run', 'backup');
    expect(res.code).toBe(0);
    const id = /execution ([0-9a-f-]{36})\./.exec(res.stdout)![1];
    expect(res.stdout.trim()).toBe(`Started job backup: execution ${id}. Follow it with: berth jobs logs ${id}`);

    const get = await berth('jobs', 'get', 'backup');
    expect(get.stdout).toMatch(/^Status:\s+running$/m);
    expect(get.stdout).toMatch(new RegExp(`^${id}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+-\\s+queued\\s+-$`, 'm'));

    const logs = await berth('jobs', 'logs', id);
    expect(logs.code).toBe(0);
    for (const line of logs.stdout.split('\n').filter(Boolean)) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
    expect(JSON.parse((await berth('jobs', 'logs', id, '--json')).stdout)).toMatchObject({ executionId: id, logs: expect.any(Array) });

    const stop = await berth('jobs', 'stop', id);
    expect([stop.code, stop.stdout.trim()]).toEqual([0, `Execution stopped (execution ${id}).`]);
    const twice = await berth('jobs', 'stop', id, '--json');
    expect(twice.code).toBe(1);
    expect(errLines(twice)).toHaveLength(1);
    expect(errLines(twice)[0]).toMatch(/^berth: .+/);
    const after = await berth('jobs', 'get', 'backup', '--json');
    expect(JSON.parse(after.stdout)).toMatchObject({ status: 'stopped', history: [expect.objectContaining({ executionId: id, status: 'stopped' })], metrics: { totalRuns: 1, failedRuns: 1 } });
    expect((await berth('jobs', 'get', 'backup')).stdout).toMatch(/^Runs:\s+1 \(0 succeeded, 1 failed\)$/m);
  });

  it('run --json prints the API answer; run --wait exits 1 when the execution is stopped while it waits', async () => {
    const started = JSON.parse((await berth('jobs', 'run', 'file-new', '--json')).stdout);
    expect(started).toEqual({ executionId: expect.any(String), job: 'file-new', startTime: expect.any(String), status: 'running' });
    await berth('jobs', 'stop', started.executionId);

    const waiting = startBerth(['jobs', 'run', 'file-new', '--wait'], { home });
    await until(() => /execution [0-9a-f-]{36}…/.test(waiting.stdout()), 'the started line');
    const id = /execution ([0-9a-f-]{36})…/.exec(waiting.stdout())![1];
    expect((await berth('jobs', 'stop', id)).code).toBe(0);
    const res = await waiting.result;
    expect([res.code, errLines(res)]).toEqual([1, [`berth: execution ${id} of job file-new ended (stopped)`]]);
  });

  it('Ctrl-C stops waiting (exit 130) and leaves the execution queued', async () => {
    const waiting = startBerth(['jobs', 'run', 'file-new', '--wait'], { home });
    await until(() => /execution [0-9a-f-]{36}…/.test(waiting.stdout()), 'the started line');
    const id = /execution ([0-9a-f-]{36})…/.exec(waiting.stdout())![1];
    waiting.child.kill('SIGINT');
    const res = await waiting.result;
    expect([res.code, errLines(res)]).toEqual([130, [`berth: stopped waiting; execution ${id} goes on (berth jobs stop ${id} stops it)`]]);
    expect(JSON.parse((await berth('jobs', 'logs', id, '--output', '--json')).stdout)).toMatchObject({ executionId: id, status: 'queued' });
    await berth('jobs', 'stop', id);
  });
});

/** `run --wait` to the end, with workers whose runtime runs nothing and succeeds (BERTH_TEST_JOB_RUNTIME=noop). */
describe('berth jobs run --wait with workers', () => {
  let box: CliBox;

  beforeAll(async () => {
    box = await startCliBox({ workers: true, login: true, env: { ...TASK_ENV, BERTH_TEST_JOB_RUNTIME: 'noop' } });
    await box.app.api.put('/api/job/noop').set(bearer(box.token)).send({ type: 'run', schedule: '@daily', image: 'berth/busybox:1' }).expect(201);
  });
  afterAll(() => box.close());

  it('waits until the execution ends and exits 0; --json adds the execution', async () => {
    const res = await runBerth(['jobs', 'run', 'noop', '--wait'], { home: box.home });
    expect([res.code, res.stderr]).toEqual([0, '']);
    const id = /execution ([0-9a-f-]{36})…/.exec(res.stdout)![1];
    expect(res.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^Job noop succeeded \\(execution ${id}, \\d+(ms|\\.\\d+s|s)\\)\\.$`));

    const json = await runBerth(['jobs', 'run', 'noop', '--wait', '--json'], { home: box.home });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ job: 'noop', execution: { status: 'success', exitCode: 0, job: 'noop', trigger: 'manual' } });

    const history = JSON.parse((await runBerth(['jobs', 'get', 'noop', '--json'], { home: box.home })).stdout);
    expect(history.metrics).toMatchObject({ totalRuns: 2, successfulRuns: 2 });
  });
});
