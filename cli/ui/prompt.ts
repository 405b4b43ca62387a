import readline from 'node:readline';
import { CliError, UsageError } from '../client/errors';
import type { Io } from './io';

/** Whether a person is at the keyboard: stdin and stderr (where questions go) are terminals. */
export function interactive(io: Io): boolean {
  return Boolean(io.stdin.isTTY && io.stderr.isTTY);
}

/** Asks one question on the terminal (stderr) and returns the answer, trimmed. */
export async function ask(io: Io, question: string): Promise<string> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  let onClose: () => void = () => undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      onClose = () => reject(new CliError('no answer (end of input)', 1));
      rl.once('SIGINT', () => reject(new CliError('interrupted', 130)));
      rl.once('close', onClose);
      rl.question(question, (answer) => resolve(answer.trim()));
    });
  } finally {
    // Only this listener: readline's own 'close' handler must run to stop echoing keys.
    rl.removeListener('close', onClose);
    rl.close();
  }
}

/** A yes/no question; anything but y or yes is no. */
export async function confirm(io: Io, question: string): Promise<boolean> {
  return /^y(es)?$/i.test(await ask(io, `${question} [y/N] `));
}

/**
 * Before something destructive: true with `--yes`, else the person's answer at a terminal. Where nothing may
 * be asked, `--yes` is required: a usage error (exit 2) saying `refusal`.
 */
export async function confirmed(io: Io, yes: boolean | undefined, question: string, refusal: string): Promise<boolean> {
  if (yes) return true;
  if (!interactive(io)) throw new UsageError(refusal);
  return confirm(io, question);
}

/** Reads a secret from the terminal without echoing it. Ctrl-C interrupts (exit 130). */
export function askHidden(io: Io, question: string): Promise<string> {
  const stdin = io.stdin;
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const finish = (err?: Error) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.removeListener('data', onData);
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError('interrupted', 130));
        if (ch === '\u0004') return value ? finish() : finish(new CliError('no password given', 1));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** All of stdin, without its final line break (for --password-stdin). */
export async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
