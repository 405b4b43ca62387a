import { validationError } from '../core/errors';

/** Longer than any cron line people write, well under Linux's 128 KiB per argument: a bigger one is a mistake. */
export const MAX_COMMAND_LENGTH = 64 * 1024;
export const MAX_ENVIRONMENT_ENTRIES = 1000;
export const MAX_ENVIRONMENT_ENTRY_LENGTH = 32 * 1024;

/**
 * Splits a job's command into argv the way a POSIX shell splits words, without running one: blanks separate words,
 * single quotes keep everything literally, double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, a
 * backslash outside quotes takes the next character literally, and quoted parts glue to their word (`a'b c'` is
 * `ab c`). Nothing is expanded: `$HOME`, globs and `|` are plain characters, so a job that wants a shell says
 * `sh -c '…'`, as Ofelia's own splitter (gobs/args) makes it do.
 *
 * An unterminated quote is a VALIDATION_ERROR naming its position, except one opened by the very last character:
 * Ofelia ignores that (a published example ends `…tee -a /tmp/$${OUTPUT_FILE}'"`), and existing configurations must
 * keep working.
 */
export function splitCommand(command: string, field = 'command'): string[] {
  if (command.length > MAX_COMMAND_LENGTH) {
    throw validationError(`${field} is longer than ${MAX_COMMAND_LENGTH} characters`, { field });
  }
  if (command.includes('\0')) throw validationError(`${field} contains a NUL character`, { field });
  const args: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = command.length;
  const unterminated = (quote: string, at: number) =>
    validationError(`${field} has an unterminated ${quote} quote at position ${at + 1}`, { field, position: at + 1 });
  while (i < n) {
    const c = command[i];
    if (/\s/.test(c)) {
      if (inWord) args.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if ((c === "'" || c === '"') && i === n - 1) {
      // Ofelia's quirk, above: a quote opened by the last character opens nothing.
      i++;
      continue;
    }
    inWord = true;
    if (c === '\\') {
      // A backslash before a newline joins lines, as in a shell; a trailing one stays a backslash.
      if (command[i + 1] === '\n') i += 2;
      else {
        word += i + 1 < n ? command[i + 1] : '\\';
        i += 2;
      }
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw unterminated('single', i);
      word += command.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      const start = i;
      i++;
      while (i < n && command[i] !== '"') {
        if (command[i] === '\\' && i + 1 < n && '"\\$`'.includes(command[i + 1])) {
          word += command[i + 1];
          i += 2;
        } else {
          word += command[i];
          i++;
        }
      }
      if (i >= n) throw unterminated('double', start);
      i++;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) args.push(word);
  return args;
}

/** A command that must be there (exec, local): split, and at least one word. */
export function requireArgv(command: string | undefined, field = 'command'): string[] {
  const argv = splitCommand(command ?? '', field);
  if (!argv.length) throw validationError(`${field} is required for this job type`, { field });
  return argv;
}

/**
 * `KEY=value` entries. The key is what a process environment can carry and every image's tools accept (letters,
 * digits, `_`, and the `.` and `-` Docker allows); the value is anything but NUL, which no environment can hold.
 */
export function checkEnvironment(environment: readonly string[]): void {
  if (environment.length > MAX_ENVIRONMENT_ENTRIES) {
    throw validationError(`environment has more than ${MAX_ENVIRONMENT_ENTRIES} entries`, { field: 'environment' });
  }
  environment.forEach((entry, index) => {
    const field = `environment[${index}]`;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw validationError(`${field} must be KEY=value with a key of letters, digits and _ (got "${entry.slice(0, 64)}")`, { field });
    }
    if (entry.length > MAX_ENVIRONMENT_ENTRY_LENGTH) throw validationError(`${field} is longer than ${MAX_ENVIRONMENT_ENTRY_LENGTH} characters`, { field });
    if (entry.includes('\0')) throw validationError(`${field} contains a NUL character`, { field });
  });
}

/** `name`, `uid`, `name:group` or `uid:gid`: what Docker's `User` takes. Anything else would only fail later. */
export function checkUser(user: string | undefined): void {
  if (user !== undefined && !/^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$/.test(user)) {
    throw validationError(`user must be a name or uid, optionally with :group (got "${user.slice(0, 64)}")`, { field: 'user' });
  }
}

/** In a container the engine refuses a relative working directory; say so before a run does. */
export function checkContainerWorkingDir(dir: string | undefined): void {
  if (dir !== undefined && !dir.startsWith('/')) {
    throw validationError(`workingDir must be an absolute path inside the container (got "${dir.slice(0, 200)}")`, { field: 'workingDir' });
  }
}

/** One `volume` entry, as `docker run -v` takes it: `source:target[:options]`. */
export interface VolumeEntry {
  source: string;
  target: string;
  /** A host path (the source starts with `/`, `.` or `~`), as opposed to a named volume. */
  hostPath: boolean;
  /** The entry as the engine's `Binds` takes it. */
  bind: string;
}

export function parseVolume(entry: string, index: number): VolumeEntry {
  const field = `volume[${index}]`;
  const parts = entry.split(':');
  const [source, target] = parts;
  if (parts.length < 2 || parts.length > 3 || !source || !target?.startsWith('/')) {
    throw validationError(`${field} must be source:/target[:options] (got "${entry.slice(0, 200)}")`, { field });
  }
  return { source, target, hostPath: /^[/.~]/.test(source), bind: entry };
}
