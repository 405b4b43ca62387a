import type { ExecSession } from '../../services/apps/app-runtime';

/** Reads a platform container's exec session to its end: stdout, stderr and the exit code. */
export async function collectExec(session: ExecSession): Promise<{ stdout: string; stderr: string; code: number }> {
  const output = { stdout: '', stderr: '' };
  const ended = new Promise<void>((resolve) => session.onEnd(resolve));
  session.onOutput((stream, data) => {
    if (stream === 2) output.stderr += data.toString();
    else output.stdout += data.toString();
  });
  session.endInput();
  await ended;
  return { ...output, code: await session.exitCode() };
}
