import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config';
import { currentRequestId } from './requestContext';

export type { Logger };

/**
 * Paths pino censors on every line: no token, password, secret or message content ever reaches the log.
 * A wildcard covers one level, so each name is listed at the depths our log calls reach (a DTO in a field,
 * a message inside a payload).
 */
const SECRET_FIELDS = ['password', 'token', 'customerToken', 'identityHash', 'authorization', 'content', 'secret'];
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

export interface LoggerOptions {
  /** Default: when a person runs the server in a terminal, outside production. */
  pretty?: boolean;
  /** Where JSON lines go instead of stdout (tests read them back). */
  destination?: DestinationStream;
}

/** JSON lines, each carrying the id of the request or socket event it was written for (`reqId`). */
export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const pretty = options.destination === undefined && (options.pretty ?? (process.stdout.isTTY === true && process.env.NODE_ENV !== 'production'));
  const settings: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin: () => {
      const reqId = currentRequestId();
      return reqId === undefined ? {} : { reqId };
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
