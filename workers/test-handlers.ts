import { handle, type TaskHandler } from '../services/tasks/task-handler';
import {
  CRASH_TASK_TYPE, EXCLUSIVE_TASK_TYPE, FAIL_TASK_TYPE, NOOP_TASK_TYPE, PROGRESS_TASK_TYPE, SLEEP_TASK_TYPE,
} from '../services/tasks/test-tasks';

/** The run functions of the test task types (services/tasks/test-tasks.ts), registered only when BERTH_TEST_TASKS=1. */
export function testTaskHandlers(): TaskHandler[] {
  return [
    handle(NOOP_TASK_TYPE, async () => ({ ok: true })),
    handle(SLEEP_TASK_TYPE, async ({ args, signal, log }) => {
      const ms = args.ms ?? 1000;
      log(`sleeping ${ms} ms`);
      await wait(ms, args.ignoreSignal ? undefined : signal);
      log('woke up');
      return { slept: ms };
    }),
    handle(EXCLUSIVE_TASK_TYPE, async ({ args, signal }) => {
      await wait(args.ms ?? 100, signal);
      return { done: true };
    }),
    handle(FAIL_TASK_TYPE, async ({ args, log }) => {
      log('about to fail');
      throw new Error(args.message ?? 'failed on purpose');
    }),
    handle(CRASH_TASK_TYPE, async ({ log }) => {
      log('crashing');
      await wait(300);
      process.kill(process.pid, 'SIGKILL');
      await wait(60_000);
    }),
    handle(PROGRESS_TASK_TYPE, async ({ args, signal, progress, log }) => {
      const steps = args.steps ?? 5;
      const stepMs = args.stepMs ?? 100;
      for (let step = 1; step <= steps; step++) {
        await wait(stepMs, signal);
        progress((step / steps) * 100, `step ${step} of ${steps}`);
        log(`step ${step}`);
      }
      return { steps };
    }),
  ];
}

/**
 * For crash tests (BERTH_TEST_CRASH_AT, only with BERTH_TEST_TASKS=1): the process SIGKILLs itself the moment a
 * task reports exactly this step, as a progress message or a log line. A deterministic point inside the real
 * handlers, with no hook in their code.
 */
export function crashingAt(step: string, handler: TaskHandler): TaskHandler {
  const check = (text: string | undefined) => {
    if (text === step) process.kill(process.pid, 'SIGKILL');
  };
  return {
    type: handler.type,
    run: (ctx) =>
      handler.run({
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
