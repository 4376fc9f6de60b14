/** The error codes of PROTOCOL.md, as the REST envelope and every socket acknowledgement carry them. */
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
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

/** The HTTP status each code is answered with. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SESSION_CLOSED: 409,
  ALREADY_ASSIGNED: 409,
  NO_OPERATOR_AVAILABLE: 409,
  OPERATOR_AT_CAPACITY: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface FieldProblem {
  field: string;
  message: string;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: FieldProblem[];
}

/** The REST envelope. */
export type Envelope<T> = { success: true; data: T; meta?: Record<string, unknown> } | { success: false; error: ErrorBody };

/** Every acknowledgement of a client → server event. */
export type AckReply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type Ack<T> = (reply: AckReply<T>) => void;
