/** SIGKILL's exit code (128 + 9). */
const KILLED = 137;

/**
 * Why an app's container ended while it was starting, as the user reads it. The engine's OOM flag is the sure
 * sign; but with cgroup v2, Docker 20.10 sometimes reports a memory-limit kill as a plain exit 137 without the
 * flag (seen in CI), and nothing else SIGKILLs an app while Berth is not stopping it, so 137 under a limit is
 * named as the likely cause.
 */
export function exitReason(state: { exitCode: number; oomKilled: boolean }, memoryLimit: number): string {
  const limit = `its memory limit (${Math.round(memoryLimit / 1024 ** 2)} MiB)`;
  if (state.oomKilled) return `was killed for using more than ${limit}`;
  if (state.exitCode === KILLED && memoryLimit > 0) return `was killed (exit code ${KILLED}), most likely for using more than ${limit}`;
  return `exited with code ${state.exitCode}`;
}
