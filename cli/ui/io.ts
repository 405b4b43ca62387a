/** The streams and environment a command works with, handed down from the entry point (no globals). */
export interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Prints a line on stdout. */
export function say(io: Io, text: string): void {
  io.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
}

/** Prints the API's JSON for scripts: indented, one document. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value ?? null, null, 2)}\n`);
}

/** A note for people on stderr (so stdout stays what was asked for). */
export function note(io: Io, text: string): void {
  io.stderr.write(`${text}\n`);
}
