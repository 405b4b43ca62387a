import { exitReason } from '../../services/apps/exit-reason';

describe('why an app stopped while starting', () => {
  const limit = 48 * 1024 ** 2;
  it('names the memory limit when the engine says OOM, or for a SIGKILL under a limit', () => {
    expect(exitReason({ exitCode: 137, oomKilled: true }, limit)).toBe('was killed for using more than its memory limit (48 MiB)');
    expect(exitReason({ exitCode: 137, oomKilled: false }, limit)).toBe('was killed (exit code 137), most likely for using more than its memory limit (48 MiB)');
  });
  it('gives the exit code otherwise', () => {
    expect(exitReason({ exitCode: 3, oomKilled: false }, limit)).toBe('exited with code 3');
    expect(exitReason({ exitCode: 137, oomKilled: false }, 0)).toBe('exited with code 137');
  });
});
