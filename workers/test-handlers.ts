import type { TaskContext, TaskDefinition } from '../services/tasks/task-registry';

/**
 * Task types for tests and benchmarks, registered only when BERTH_TEST_TASKS=1.
 *   _noop                         succeeds at once
 *   _sleep    {ms, ignoreSignal}  waits, honouring the signal unless told not to (then only a timeout ends it)
 *   _fail     {message}           throws
 *   _crash                        kills its own process with SIGKILL mid-task
 *   _progress {steps, stepMs}     reports progress and logs a line per step
 *   _exclusive {ms}               like _sleep, but refuses (409) a second task on the same object
 */
export function testTaskDefinitions(): TaskDefinition[] {
  const base = { timeoutMs: 10 * 60_000, concurrency: 8, onConflict: 'queue' as const };
  return [
    { ...base, type: '_noop', idempotent: true, concurrency: 32, run: async () => ({ ok: true }) },
    {
      ...base,
      type: '_sleep',
      idempotent: true,
      run: async ({ task, signal, log }: TaskContext) => {
        const ms = Number(task.args.ms ?? 1000);
        log(`sleeping ${ms} ms`);
        await wait(ms, task.args.ignoreSignal ? undefined : signal);
        log('woke up');
        return { slept: ms };
      },
    },
    {
      ...base,
      type: '_exclusive',
      idempotent: true,
      onConflict: 'refuse',
      run: async ({ task, signal }: TaskContext) => {
        await wait(Number(task.args.ms ?? 100), signal);
        return { done: true };
      },
    },
    {
      ...base,
      type: '_fail',
      idempotent: false,
      run: async ({ task, log }: TaskContext) => {
        log('about to fail');
        throw new Error(String(task.args.message ?? 'failed on purpose'));
      },
    },
    {
      ...base,
      type: '_crash',
      idempotent: false,
      run: async ({ log }: TaskContext) => {
        log('crashing');
        await wait(300);
        process.kill(process.pid, 'SIGKILL');
        await wait(60_000);
      },
    },
    {
      ...base,
      type: '_progress',
      idempotent: false,
      run: async ({ task, signal, progress, log }: TaskContext) => {
        const steps = Number(task.args.steps ?? 5);
        const stepMs = Number(task.args.stepMs ?? 100);
        for (let step = 1; step <= steps; step++) {
          await wait(stepMs, signal);
          progress((step / steps) * 100, `step ${step} of ${steps}`);
          log(`step ${step}`);
        }
        return { steps };
      },
    },
  ];
}

/**
 * For crash tests (BERTH_TEST_CRASH_AT, only with BERTH_TEST_TASKS=1): the process SIGKILLs itself the moment a
 * task reports exactly this step, as a progress message or a log line. A deterministic point inside the real
 * handlers, with no hook in their code.
 */
export function crashingAt(step: string, definition: TaskDefinition): TaskDefinition {
  const check = (text: string | undefined) => {
    if (text === step) process.kill(process.pid, 'SIGKILL');
  };
  return {
    ...definition,
    run: (ctx) =>
      definition.run({
        ...ctx,
        progress: (percent, message) => {
          check(message);
          ctx.progress(percent, message);
        },
        log: (line) => {
          check(line);
          ctx.log(line);
        },
      }),
  };
}

/**
 * Waits `ms`, or until the signal aborts. A wait without a signal (a handler ignoring its signal) does not keep
 * the process alive: the runner abandons such a handler at its timeout, and the timer of a 10-minute `_sleep`
 * left behind kept the process (a jest worker) from exiting.
 */
function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    else timer.unref();
  });
}
