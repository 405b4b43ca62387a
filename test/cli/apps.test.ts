import fs from 'node:fs';
import path from 'node:path';
import { addDomain, APPS_ENV, containersOf, testManifest } from '../helpers/apps';
import { errLines, runBerth, runBerthInTerminal, startBerth, startCliBox, until, type CliBox } from './run-berth';

jest.setTimeout(120_000);

/** A person's path with the built `berth` and a real Docker engine: install, watch, use, operate, remove. */
describe('berth apps against a real Docker engine', () => {
  let box: CliBox;
  let home: string;
  let appId: string;
  beforeAll(async () => {
    box = await startCliBox({ env: APPS_ENV, workers: true, login: true });
    ({ home } = box);
    await addDomain(box.app, box.token, 'cli.test');
  });
  afterAll(() => box.close());

  it('lists the catalogue, for install --appstore-id', async () => {
    const res = await runBerth(['apps', 'catalogue'], { home });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^io\.berth\.staticweb\s+1\.0\.0\s+Static web server\s+builtin$/m);
  });

  it('installs a local-image app from a manifest with --wait, showing its progress, exit 0', async () => {
    const manifest = path.join(home, 'web.json');
    fs.writeFileSync(manifest, JSON.stringify(testManifest('web:1')));
    const res = await runBerth(
      ['apps', 'install', '--manifest', manifest, '--location', 'cli', '--domain', 'cli.test', '--memory', '64M', '--env', 'GREETING=hello there', '--wait'],
      { home },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Installing cli\.cli\.test as app [\w-]+ \(task \d+\)…$/);
    expect(lines.some((l) => /^task \d+: \d+% \S/.test(l))).toBe(true);
    const done = /^Installed cli\.cli\.test \(app ([\w-]+)\)\.$/.exec(lines.at(-1)!);
    expect(done).not.toBeNull();
    appId = done![1];
    expect(await containersOf(appId)).toHaveLength(1);
  });

  it('apps list --json prints the API JSON; the table is for people', async () => {
    const res = await runBerth(['apps', 'list', '--json'], { home });
    expect(res.code).toBe(0);
    const list = JSON.parse(res.stdout);
    expect(list).toEqual([
      expect.objectContaining({ id: appId, fqdn: 'cli.cli.test', installationState: 'installed', runState: 'running', memoryLimit: 64 * 1024 * 1024, env: { GREETING: 'hello there' } }),
    ]);
    const table = await runBerth(['apps', 'list'], { home });
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+ADDRESS\s+APP\s+VERSION\s+STATE\s+RUN\s+HEALTH$/);
    expect(table.stdout).toMatch(new RegExp(`^${appId}\\s+cli\\.cli\\.test\\s+Test web:1\\s+1\\.0\\.0\\s+installed\\s+running`, 'm'));
    const get = await runBerth(['apps', 'get', 'cli.cli.test'], { home });
    expect(get.stdout).toMatch(/Memory:\s+64 MiB/);
  });

  it("logs prints the container's output; logs -f keeps following until interrupted", async () => {
    const res = await runBerth(['apps', 'logs', appId], { home });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z web v1 starting$/m);
    const json = await runBerth(['apps', 'logs', 'cli', '--json', '--lines', '1'], { home });
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ source: 'main', message: expect.any(String) });

    // The health monitor's checks (every second here) keep adding lines: following shows them as they come.
    const follow = startBerth(['apps', 'logs', '-f', '--lines', '1', 'cli.cli.test'], { home });
    const count = () => follow.stdout().split('\n').filter(Boolean).length;
    await until(() => count() >= 1, 'the last log line');
    await until(() => count() >= 3, 'new log lines', 15_000);
    follow.child.kill('SIGINT');
    const ended = await follow.result;
    expect(ended.signal ?? ended.code).toBeTruthy();
  });

  it("exec wires stdin, stdout and stderr and passes the command's exit code through", async () => {
    const res = await runBerth(['apps', 'exec', appId, '--', 'sh', '-c', 'cat; echo "$GREETING"; echo oops >&2; exit 3'], { home, input: 'from stdin\n' });
    expect(res.code).toBe(3);
    expect(res.stdout).toBe('from stdin\nhello there\n');
    expect(res.stderr).toBe('oops\n');
    const ok = await runBerth(['apps', 'exec', 'cli.cli.test', 'cat', '/www/version'], { home });
    expect([ok.code, ok.stdout]).toEqual([0, 'v1\n']);
  });

  it('exec --tty gives the command a terminal', async () => {
    const res = await runBerthInTerminal(['apps', 'exec', '--tty', appId, '--', 'sh', '-c', 'tty; exit 4'], { home });
    expect(res.code).toBe(4);
    expect(res.stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it('an unknown app id is one clear line and exit 1, for every command', async () => {
    for (const args of [['apps', 'get', 'nope'], ['apps', 'logs', 'nope'], ['apps', 'exec', 'nope', '--', 'true'], ['apps', 'restart', 'nope']]) {
      const res = await runBerth(args, { home });
      expect([args, res.code, errLines(res)]).toEqual([args, 1, ['berth: no app with id, address or location "nope" (berth apps list shows them)']]);
    }
  });

  it('restart --wait --json prints the final task; uninstall asks for --yes, then removes the app and its container', async () => {
    const restart = await runBerth(['apps', 'restart', appId, '--wait', '--json'], { home });
    expect(restart.code).toBe(0);
    expect(JSON.parse(restart.stdout)).toMatchObject({ taskId: expect.any(Number), task: { success: true, type: 'app' } });

    const refused = await runBerth(['apps', 'uninstall', appId], { home });
    expect([refused.code, errLines(refused)]).toEqual([2, ['berth: uninstall deletes the app and its data: pass --yes to confirm']]);

    const res = await runBerth(['apps', 'uninstall', 'cli.cli.test', '--yes', '--wait'], { home });
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n').at(-1)).toBe('Uninstalled cli.cli.test.');
    expect(await containersOf(appId)).toHaveLength(0);
    const list = await runBerth(['apps', 'list', '--json'], { home });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('install --wait of an app that fails to start exits 1 with the reason in one line', async () => {
    const manifest = path.join(home, 'crash.json');
    fs.writeFileSync(manifest, JSON.stringify(testManifest('crash:1')));
    const res = await runBerth(['apps', 'install', '--manifest', manifest, '--location', 'crash', '--domain', 'cli.test', '--wait'], { home });
    expect(res.code).toBe(1);
    expect(errLines(res)).toEqual([expect.stringMatching(/^berth: task \d+ failed: The app exited with code 3 while starting\./)]);
  });
});
