import type { Duplex } from 'node:stream';
import type { RunIo } from '../scheduler/job-runtime';
import { JobOutput } from '../scheduler/job-runtime-output';
import { FrameDecoder } from './log-demux';

/** What a job's attached stream gives its runner: the output so far, and two moments to wait for. */
export interface WatchedStream {
  output: JobOutput;
  /** The engine ended (or broke) the stream: the command's output is complete. */
  ended: Promise<void>;
  /** The job's signal aborted (stop, timeout, shutdown). */
  aborted: Promise<void>;
  /** Stops listening to the signal and closes the stream: call it in a `finally`. */
  release(): void;
}

/**
 * Collects an exec's or a container's attached stream into the job's capped output (without a tty the engine
 * multiplexes stdout and stderr into frames; with one, everything is stdout) and watches for its end and for the
 * job's abort, for exec jobs (job-exec.ts) and container jobs (job-container.ts) alike.
 */
export function watchStream(stream: Duplex, tty: boolean, io: RunIo): WatchedStream {
  const output = new JobOutput(io.log);
  const frames = new FrameDecoder((kind, payload) => output.push(kind, payload));
  stream.on('data', (chunk: Buffer) => (tty ? output.push(1, chunk) : frames.push(chunk)));
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => (onAbort = resolve));
  io.signal.addEventListener('abort', onAbort, { once: true });
  if (io.signal.aborted) onAbort();
  return {
    output,
    ended,
    aborted,
    release() {
      io.signal.removeEventListener('abort', onAbort);
      stream.destroy();
    },
  };
}
