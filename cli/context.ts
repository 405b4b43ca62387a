import { openAdminSession, type AdminSession, type AdminSessionOptions } from './client/admin-session';
import { openSession, type Session, type SessionOptions } from './client/session';
import { CliError, oneLine } from './client/errors';
import type { Signals } from './client/wait';
import type { Io } from './ui/io';

/** What every client command gets from the entry point: its streams, Ctrl-C, sessions and a way to end. */
export interface Context {
  io: Io;
  signals: Signals;
  session(options?: SessionOptions): Session;
  /** The admin API, with the passphrase (asked for at a terminal when no other source has it). */
  adminSession(options?: AdminSessionOptions): Promise<AdminSession>;
  /** Runs a command's work: prints a failure as one line and ends the process with the exit code. */
  run(action: () => Promise<number | void>): Promise<void>;
}

export function createContext(io: Io, signals: Signals, exit: (code: number) => never): Context {
  return {
    io,
    signals,
    session: (options) => openSession(io.env, options),
    adminSession: (options) => openAdminSession(io, options),
    async run(action) {
      let code: number;
      try {
        code = (await action()) ?? 0;
      } catch (err) {
        code = err instanceof CliError ? err.exitCode : 1;
        const message = err instanceof Error ? err.message : String(err);
        io.stderr.write(`berth: ${oneLine(message)}\n`);
        if (!(err instanceof CliError) && io.env.BERTH_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
      }
      exit(code);
    },
  };
}
