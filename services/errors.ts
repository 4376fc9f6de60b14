import { ERROR_STATUS, type ErrorBody, type ErrorCode, type FieldProblem } from './contract';

/**
 * Domain errors. Services throw these; middleware/errorHandler turns them into the REST envelope and the
 * socket wrapper into `{ok:false,error}` acks. Each code's HTTP status is the contract's (ERROR_STATUS).
 */
export type { ErrorBody, ErrorCode, FieldProblem };

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
    this.name = new.target.name;
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: FieldProblem[]) {
    super('VALIDATION_ERROR', message, details);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super('FORBIDDEN', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super('NOT_FOUND', message);
  }
}

export type ConflictCode = 'SESSION_CLOSED' | 'ALREADY_ASSIGNED' | 'NO_OPERATOR_AVAILABLE' | 'OPERATOR_AT_CAPACITY' | 'CONFLICT';

export class ConflictError extends AppError {
  constructor(code: ConflictCode, message: string) {
    super(code, message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message = 'Payload too large') {
    super('PAYLOAD_TOO_LARGE', message);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message = 'Unsupported media type') {
    super('UNSUPPORTED_MEDIA_TYPE', message);
  }
}

export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many requests',
  ) {
    super('RATE_LIMITED', message);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'Service unavailable') {
    super('SERVICE_UNAVAILABLE', message);
  }
}

const CONNECTION_ERROR_NAMES = new Set([
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeConnectionAcquireTimeoutError',
  'SequelizeHostNotFoundError',
  'SequelizeHostNotReachableError',
  'SequelizeAccessDeniedError',
  'SequelizeConnectionTimedOutError',
]);

/**
 * Any thrown value → an AppError. Database connection failures become 503; anything unknown becomes a
 * 500 INTERNAL whose message reveals nothing (the original is for the log only).
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const { name, parent } = (error ?? {}) as { name?: string; parent?: { fatal?: unknown } };
  // A connection lost under a running query: the driver marks its error fatal, the ORM wraps it as any query error.
  if ((name && CONNECTION_ERROR_NAMES.has(name)) || parent?.fatal === true) return new ServiceUnavailableError('Database unavailable');
  return new AppError('INTERNAL', 'Internal server error');
}
