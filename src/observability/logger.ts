import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../../config';
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

/** The parts of a database error worth logging: never its SQL or parameters, which hold message contents. */
const DRIVER_FIELDS = ['code', 'errno', 'sqlState'] as const;

/**
 * pino's error serializer, minus what Sequelize and the drivers attach: `sql` and `parameters` (the statement
 * with its values, so a failed message INSERT would log the message), and `original`/`parent` (the driver's
 * error, carrying the same `sql`), of which only the codes are kept.
 */
export function serializeError(error: Error): Record<string, unknown> {
  const serialized: Record<string, unknown> = { ...pino.stdSerializers.err(error) };
  delete serialized.sql;
  delete serialized.parameters;
  for (const nested of ['original', 'parent'] as const) {
    const driver = serialized[nested] as Record<string, unknown> | undefined;
    if (driver && typeof driver === 'object') serialized[nested] = Object.fromEntries(DRIVER_FIELDS.filter((f) => f in driver).map((f) => [f, driver[f]]));
  }
  if (Array.isArray(serialized.errors)) {
    serialized.errors = (serialized.errors as Array<Record<string, unknown>>).map(({ message, type, path }) => ({ message, type, path }));
  }
  return serialized;
}

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
    serializers: { err: serializeError },
    mixin: () => {
      const reqId = currentRequestId();
      return reqId === undefined ? {} : { reqId };
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
