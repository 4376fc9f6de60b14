/**
 * Domain errors. Services throw these; middleware/errorHandler turns them into the REST envelope and the
 * socket wrapper into `{ok:false,error}` acks. Nothing here knows about HTTP or sockets beyond the status
 * number PROTOCOL.md pairs with each code.
 */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'SESSION_CLOSED'
  | 'ALREADY_ASSIGNED'
  | 'NO_OPERATOR_AVAILABLE'
  | 'OPERATOR_AT_CAPACITY'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

export interface FieldProblem {
  field: string;
  message: string;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: FieldProblem[];
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
    this.name = new.target.name;
  }

  toBody(): ErrorBody {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: FieldProblem[]) {
    super('VALIDATION_ERROR', 400, message, details);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super('UNAUTHENTICATED', 401, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super('FORBIDDEN', 403, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super('NOT_FOUND', 404, message);
  }
}

export type ConflictCode = 'SESSION_CLOSED' | 'ALREADY_ASSIGNED' | 'NO_OPERATOR_AVAILABLE' | 'OPERATOR_AT_CAPACITY' | 'CONFLICT';

export class ConflictError extends AppError {
  constructor(code: ConflictCode, message: string) {
    super(code, 409, message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message = 'Payload too large') {
    super('PAYLOAD_TOO_LARGE', 413, message);
  }
}

export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many requests',
  ) {
    super('RATE_LIMITED', 429, message);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'Service unavailable') {
    super('SERVICE_UNAVAILABLE', 503, message);
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
  return new AppError('INTERNAL', 500, 'Internal server error');
}
