import { spawn } from 'node:child_process';
import path from 'node:path';

const HANDLERS = path.join(__dirname, '../../dist/workers/test-handlers.js');

/**
 * A handler that ignores its signal is abandoned by the runner at its timeout but keeps running. Its timers must
 * not keep the process alive: the 10-minute `_sleep` of tasks.test.ts once held its jest worker until jest
 * killed it ("A worker process has failed to exit gracefully").
 */
describe('an abandoned test handler', () => {
  it('leaves nothing that keeps the process alive', async () => {
    // The built handlers (global setup builds dist/), run in a process of their own that must end by itself.
    const script = `
      const sleep = require(${JSON.stringify(HANDLERS)}).testTaskHandlers().find((h) => h.type.name === '_sleep');
      const args = { ms: 600000, ignoreSignal: true };
      void sleep.run({ task: { args }, args, signal: new AbortController().signal, log() {}, progress() {} });
      console.log('started');`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    const started = Date.now();
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    clearTimeout(killer);
    expect({ ...ended, stdout }).toEqual({ code: 0, signal: null, stdout: 'started\n' });
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
