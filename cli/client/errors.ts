/**
 * Errors the CLI prints as one line (`berth: <message>`) and turns into an exit code: 1 when an operation
 * failed, 2 when the command line was wrong, 130 when the user interrupted.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The command line itself is wrong: a missing flag, a bad value. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/**
 * The server answered with an error (`{"status", "message", "code"}` on the box API, `{"error": {"code",
 * "message", "details"}}` on the scheduler API).
 */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message, 1);
  }
}

/**
 * An ApiError from a response and its parsed body (or whatever came instead of the JSON error). A 401 to a
 * request that carried a token says how to get a new one.
 */
export function apiError(status: number, body: unknown, options: { sentToken?: boolean } = {}): ApiError {
  const fields = errorFields(body);
  let message = typeof fields.message === 'string' && fields.message ? fields.message : `the server answered ${status}`;
  if (status === 401 && options.sentToken !== false) message += ' (log in again with: berth login)';
  return new ApiError(oneLine(message), status, typeof fields.code === 'string' ? fields.code : undefined);
}

/**
 * The message and code of an error body: the box API's `{message, code}`, the admin API's JSON:API
 * `{errors: [{detail, code}]}`, or the scheduler API's (Ofelia's) `{error: {code, message, details}}`.
 */
function errorFields(body: unknown): { message?: unknown; code?: unknown } {
  if (typeof body !== 'object' || body === null) return {};
  const nested = (body as { error?: unknown }).error;
  if (typeof nested === 'object' && nested !== null) {
    const error = nested as { message?: unknown; code?: unknown };
    return { message: error.message, code: error.code };
  }
  const errors = (body as { errors?: unknown }).errors;
  if (Array.isArray(errors) && typeof errors[0] === 'object' && errors[0] !== null) {
    const first = errors[0] as { detail?: unknown; code?: unknown };
    return { message: first.detail, code: first.code };
  }
  return body as { message?: unknown; code?: unknown };
}

/** A failed connection, told the way a person can act on it. */
export function networkError(url: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const origin = safeOrigin(url);
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host not found (DNS lookup failed)',
    ECONNRESET: 'the connection was reset',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  if (reasons[code]) return new CliError(`cannot reach ${origin}: ${reasons[code]}`);
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return new CliError(`cannot reach ${origin}: its TLS certificate is not trusted (${code}); for a box on a self-signed certificate log in with --allow-selfsigned`);
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new CliError(`cannot reach ${origin}: ${oneLine(detail)}`);
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
