import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { BERTH, cliEnv, tempHome, type CliResult } from './run-berth';

/**
 * `berth … | head -1`: a reader that goes away before berth has written everything must end berth quietly,
 * as SIGPIPE ends git and ls (exit 141, what a shell shows for them), never with an EPIPE stack trace.
 */
describe('berth writing to a pipe whose reader has gone', () => {
  let home: string;
  beforeAll(() => {
    home = tempHome();
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  /** Runs berth with its stdout a pipe whose read end is closed at once, long before berth writes to it. */
  function runWithClosedStdout(args: string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [BERTH, ...args], { env: cliEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
    });
  }

  it.each([
    ['--help', ['--help']],
    ['a command\'s help', ['apps', '--help']],
    ['a client command', ['completion', 'bash']],
  ])('ends quietly with exit 141 (%s)', async (_label, args) => {
    const res = await runWithClosedStdout(args);
    expect({ code: res.code, signal: res.signal, stderr: res.stderr }).toEqual({ code: 141, signal: null, stderr: '' });
  });

  it('berth --help | head -1 prints the first line of the help and nothing on stderr', async () => {
    const script = `"${process.execPath}" "${BERTH}" --help | head -1; ` + 'echo "berth exited ${PIPESTATUS[0]}" >&2';
    const child = spawn('bash', ['-c', script], { env: cliEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toBe('Usage: berth [options] [command]\n');
    // head may have read the whole help before it left (0), or left while berth was still writing (141).
    expect(stderr).toMatch(/^berth exited (0|141)\n$/);
  });
});
