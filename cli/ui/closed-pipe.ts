/**
 * What a shell reports for a command that SIGPIPE ended (128 + 13). `git log | head -1` and `ls | head -1` end
 * that way, quietly; Node ignores SIGPIPE, so berth cannot die of it and exits with the same code instead.
 */
export const CLOSED_PIPE_EXIT = 141;

/**
 * `berth --help | head -1`: once the reader has gone, writing to the pipe fails with EPIPE, which the stream
 * emits as an 'error' event; unhandled, Node prints a stack trace and the rest of the output is lost anyway.
 * Ends berth quietly instead, as SIGPIPE ends other commands. Any other stream error stays what it was: thrown.
 */
export function exitQuietlyWhenPipeCloses(streams: NodeJS.WritableStream[], exit: (code: number) => void): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      exit(CLOSED_PIPE_EXIT);
    });
  }
}
