import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { TASK_ENV, type TestApp } from '../helpers/app';
import { errLines, runBerth, runBerthInTerminal, startCliBox, type CliBox } from './run-berth';

jest.setTimeout(60_000);

const PASSPHRASE = 'correct horse battery staple';

/** The operator's `berth admin …` commands, the built binary against a real admin API listener. */
describe('berth admin', () => {
  let box: CliBox;
  let app: TestApp;
  let home: string;
  /** The environment an operator's shell has: where the admin API is, and its passphrase. */
  let env: Record<string, string>;
  beforeAll(async () => {
    box = await startCliBox({ env: TASK_ENV, workers: true, adminPassphrase: PASSPHRASE });
    ({ app, home } = box);
    env = { BERTH_ADMIN_URL: box.admin!.url, BERTH_ADMIN_PASSPHRASE: PASSPHRASE };
  });
  afterAll(() => box.close());

  const admin = (args: string[], extra: { env?: Record<string, string>; input?: string } = {}) =>
    runBerth(['admin', ...args], { home, env: { ...env, ...extra.env }, input: extra.input });
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at |Error:/);

  it('creates, lists, reads, changes, blocks and unblocks an instance', async () => {
    const created = await admin(['instances', 'create', 'acme.cli.test', '--email', 'owner@acme.cli.test', '--quota-apps', '3', '--quota-memory', '1G']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Created instance acme\.cli\.test \(ins-[\w-]+\), owner owner@acme\.cli\.test \(uid-[\w-]+\)\.$/m);
    expect(created.stdout).toMatch(/^https?:\/\/\S+setupaccount\.html\?inviteToken=\S+$/m);

    const list = await admin(['instances', 'list', '--json']);
    expect(list.code).toBe(0);
    const page = JSON.parse(list.stdout);
    expect(page.meta.count).toBe(2);
    expect(page.data.map((i: { attributes: { domain: string | null } }) => i.attributes.domain)).toEqual([null, 'acme.cli.test']);
    const table = await admin(['instances', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^DOMAIN\s+STATE\s+CONTEXT\s+QUOTAS\s+CREATED$/);
    expect(table.stdout).toMatch(/^acme\.cli\.test\s+active\s+default\s+apps 3, memory 1 GiB\s+\d{4}-/m);
    const first = await admin(['instances', 'list', '--limit', '1']);
    expect(first.stdout).toMatch(/^\(default\)\s+active/m);
    expect(first.stdout).not.toContain('acme.cli.test');
    expect(first.stderr).toBe('1–1 of 2; the next ones: --skip 1\n');
    const second = await admin(['instances', 'list', '--limit', '1', '--skip', '1', '--json']);
    expect(JSON.parse(second.stdout).data[0].attributes.domain).toBe('acme.cli.test');

    const got = await admin(['instances', 'get', 'acme.cli.test']);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/^State:\s+active$/m);
    expect(got.stdout).toMatch(/^Email:\s+owner@acme\.cli\.test$/m);

    const blocked = await admin(['instances', 'update', 'acme.cli.test', '--blocked', 'PAYMENT_FAILED', '--quota-apps', '5']);
    expect(blocked.code).toBe(0);
    expect(blocked.stdout).toMatch(/^State:\s+blocked \(PAYMENT_FAILED\)$/m);
    // One quota changed; the memory quota stays although the API replaces the whole set.
    const json = JSON.parse((await admin(['instances', 'get', 'acme.cli.test', '--json'])).stdout);
    expect(json.data.attributes).toMatchObject({ blocked: true, blocking_reason: 'PAYMENT_FAILED', quotas: { apps: 5, memory: 1024 ** 3 } });

    const unblocked = await admin(['instances', 'update', 'acme.cli.test', '--unblock', '--quota-memory', 'none', '--json']);
    expect(unblocked.stderr).toBe('');
    expect(unblocked.code).toBe(0);
    expect(JSON.parse(unblocked.stdout).data.attributes).toMatchObject({ blocked: false, blocking_reason: null, quotas: { apps: 5 } });
    expect(JSON.parse(unblocked.stdout).data.attributes.quotas.memory ?? null).toBeNull();

    const nothing = await admin(['instances', 'update', 'acme.cli.test']);
    expect(nothing.code).toBe(2);
    expect(errLines(nothing)).toEqual(['berth: nothing to change: give at least one flag (berth admin instances update --help)']);
    const both = await admin(['instances', 'update', 'acme.cli.test', '--blocked', 'X', '--unblock']);
    expect(both.code).toBe(2);
  });

  it('mints a tenant token that the box API takes as BERTH_TOKEN', async () => {
    const minted = await admin(['instances', 'token', 'acme.cli.test', '--ttl', '10m']);
    expect(minted.code).toBe(0);
    expect(minted.stdout).toMatch(/^bt_\S+\n$/);
    expect(minted.stderr).toMatch(/^Token for acme\.cli\.test acting as uid-\S+, until \d{4}-\d\d-\d\d [\d:]+ UTC\. Use it with BERTH_TOKEN\.\n$/);
    const whoami = await runBerth(['whoami'], { home, env: { BERTH_URL: box.server.url, BERTH_TOKEN: minted.stdout.trim() } });
    expect(whoami.stderr).toBe('');
    expect(whoami.stdout.trim()).toBe(`owner@acme.cli.test (owner) <owner@acme.cli.test> on ${box.server.url}`);
    const tooShort = await admin(['instances', 'token', 'acme.cli.test', '--ttl', '10']);
    expect(tooShort.code).toBe(2);
  });

  it('exports with --wait --output, downloading the records as a gzipped tar; fsck then finds a lost part', async () => {
    const out = path.join(home, 'acme-export.tar.gz');
    const res = await admin(['instances', 'export', 'acme.cli.test', '--wait', '--output', out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Wrote ${out.replace(/[.]/g, '\\.')} \\(\\d+ bytes, the records\\)$`, 'm'));
    const bytes = fs.readFileSync(out);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const tar = zlib.gunzipSync(bytes);
    expect(tar.subarray(257, 262).toString()).toBe('ustar');
    expect(tar.toString('latin1')).toContain('instance.json');
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);

    // Without --wait it returns at once; --from downloads that export once it is done.
    const started = await admin(['instances', 'export', 'acme.cli.test', '--json']);
    expect(started.code).toBe(0);
    const { export_id: exportId } = JSON.parse(started.stdout);
    const later = path.join(home, 'later.tar.gz');
    const fetched = await admin(['instances', 'export', 'acme.cli.test', '--from', exportId, '--output', later, '--json']);
    expect(fetched.code).toBe(0);
    expect(JSON.parse(fetched.stdout)).toMatchObject({ export_id: exportId, files: [{ cursor: null, file: later, size: fs.statSync(later).size }] });

    const clean = await admin(['fsck', 'acme.cli.test']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('acme.cli.test: no problems found.\n');

    // The export's file on the server goes missing: fsck reports it and exits 1.
    const instanceId = JSON.parse((await admin(['instances', 'get', 'acme.cli.test', '--json'])).stdout).data.id;
    const exportsDir = path.join(app.dataDir, 'exports', instanceId);
    for (const file of fs.readdirSync(path.join(exportsDir, exportId))) fs.rmSync(path.join(exportsDir, exportId, file));
    const found = await admin(['fsck', 'acme.cli.test']);
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(new RegExp(`^export_part_missing  export_id=${exportId}  file=\\S+$`, 'm'));
    expect(found.stdout).toMatch(/^acme\.cli\.test: 1 problem found\.$/m);
    const raw = await admin(['fsck', 'acme.cli.test', '--json']);
    expect(raw.code).toBe(1);
    expect(raw.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ type: 'export_part_missing', export_id: exportId, file: expect.any(String) }]);
  });

  it('deletes an instance with --wait: the progress, then the instance is gone', async () => {
    await admin(['instances', 'create', 'gone.cli.test', '--email', 'owner@gone.cli.test']);
    const unconfirmed = await admin(['instances', 'delete', 'gone.cli.test']);
    expect(unconfirmed.code).toBe(2);
    expect(errLines(unconfirmed)).toEqual(['berth: delete removes the instance and all its data: pass --yes to confirm']);

    const res = await admin(['instances', 'delete', 'gone.cli.test', '--yes', '--wait']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Deleting gone\.cli\.test \(task \d+\)…$/);
    expect(lines.at(-1)).toBe('Deleted gone.cli.test.');
    const after = await admin(['instances', 'get', 'gone.cli.test']);
    expect(after.code).toBe(1);
    expect(errLines(after)).toEqual(['berth: No instance gone.cli.test']);
  });

  it('says what went wrong in one line: wrong passphrase, unreachable, unknown domain, bad usage', async () => {
    const wrong = await admin(['instances', 'list'], { env: { BERTH_ADMIN_PASSPHRASE: 'not the passphrase' } });
    expect(wrong.code).toBe(1);
    expect(errLines(wrong)).toEqual(['berth: Wrong admin passphrase']);
    expect(wrong.stdout).toBe('');
    noStack(wrong.stderr);
    expect(wrong.stderr).not.toContain('not the passphrase');

    const closed = await freePort();
    const unreachable = await admin(['instances', 'list', '--admin-url', `127.0.0.1:${closed}`]);
    expect(unreachable.code).toBe(1);
    expect(errLines(unreachable)).toEqual([`berth: cannot reach http://127.0.0.1:${closed}: connection refused`]);

    const unknown = await admin(['instances', 'get', 'nowhere.cli.test']);
    expect(unknown.code).toBe(1);
    expect(errLines(unknown)).toEqual(['berth: No instance nowhere.cli.test']);
    const unknownFsck = await admin(['fsck', 'nowhere.cli.test']);
    expect(errLines(unknownFsck)).toEqual(['berth: No instance nowhere.cli.test']);

    const missing = await admin(['instances', 'create', 'x.cli.test']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--email <email>' not specified");

    // No passphrase and no terminal to ask at: usage; --passphrase-stdin reads it.
    const none = await admin(['instances', 'list'], { env: { BERTH_ADMIN_PASSPHRASE: '' } });
    expect(none.code).toBe(2);
    expect(errLines(none)).toEqual(['berth: no admin passphrase: set BERTH_ADMIN_PASSPHRASE or give it on stdin with --passphrase-stdin']);
    const piped = await admin(['instances', 'list', '--passphrase-stdin', '--json'], { env: { BERTH_ADMIN_PASSPHRASE: '' }, input: `${PASSPHRASE}\n` });
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout).meta.count).toBeGreaterThan(0);
  });

  it('asks for the passphrase at a terminal, without echoing it', async () => {
    const prompt = `Admin passphrase for ${box.admin!.url}: `;
    const res = await runBerthInTerminal(['admin', 'instances', 'get', 'acme.cli.test'], {
      home,
      env: { BERTH_ADMIN_URL: box.admin!.url },
      keys: [{ afterOutput: prompt, afterMs: 200, text: `${PASSPHRASE}\r` }],
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(prompt);
    expect(res.stdout).toMatch(/Domain:\s+acme\.cli\.test/);
    expect(res.stdout).not.toContain(PASSPHRASE);
  });

  it('explains every command and flag in --help', async () => {
    const top = await admin(['instances', '--help']);
    for (const command of ['list', 'create', 'get', 'update', 'delete', 'export', 'token']) expect(top.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(top.stdout).toContain('BERTH_ADMIN_PASSPHRASE');
    const create = await admin(['instances', 'create', '--help']);
    for (const flag of ['--email', '--locale', '--context', '--quota-apps', '--quota-memory', '--admin-url', '--passphrase-stdin', '--json']) expect(create.stdout).toContain(flag);
    expect((await admin(['--help'])).stdout).toMatch(/^ {2}fsck \[options\] <domain>/m);
  });
});

/** A port nothing listens on (taken, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('berth admin: passphrase guessing', () => {
  it('says when the next try is allowed once the server answers 429', async () => {
    const box = await startCliBox({ adminPassphrase: PASSPHRASE, loginLimits: { perUsername: 2, perAddress: 2, windowSecs: 60 } });
    try {
      const env = { BERTH_ADMIN_URL: box.admin!.url, BERTH_ADMIN_PASSPHRASE: 'a wrong guess!' };
      for (let i = 0; i < 2; i++) expect(errLines(await runBerth(['admin', 'instances', 'list'], { home: box.home, env }))).toEqual(['berth: Wrong admin passphrase']);
      const limited = await runBerth(['admin', 'instances', 'list'], { home: box.home, env });
      expect(limited.code).toBe(1);
      expect(errLines(limited)).toEqual([expect.stringMatching(/^berth: Too many failed login attempts, try again later \(in \d+ seconds\)$/)]);
    } finally {
      await box.close();
    }
  });
});
