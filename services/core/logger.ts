import pino, { type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * Paths pino blanks in every log line. Request logs carry headers; service logs may carry bodies.
 * Secrets must never reach a log, so anything that looks like one is censored by name.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'password',
  'newPassword',
  'token',
  'accessToken',
  'secret',
  '*.password',
  '*.newPassword',
  '*.token',
  '*.accessToken',
  '*.secret',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { name: 'berth' } }, destination);
}
