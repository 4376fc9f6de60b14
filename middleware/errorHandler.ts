import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AppError} from '../services/errors';
import { NotFoundError, PayloadTooLargeError, RateLimitedError, ValidationError, toAppError } from '../services/errors';

/**
 * What Express itself refuses before any route: body-parser's failures (most carry a `type`; a body whose
 * Content-Encoding does not decompress is a bare 400) and a path whose percent-encoding is broken (`%ff`, a
 * URIError from the router). Each becomes the code PROTOCOL.md gives it, never a 500.
 */
function fromExpress(error: unknown): AppError | null {
  if (error instanceof URIError) return new ValidationError('Malformed URL', [{ field: 'path', message: 'not valid percent-encoding' }]);
  const { type, status, expose } = (error ?? {}) as { type?: unknown; status?: unknown; expose?: unknown };
  if (type === undefined && status === 400 && expose === true) return new ValidationError('Unreadable request body', [{ field: 'body', message: 'does not decompress as its Content-Encoding says' }]);
  switch (type) {
    case 'entity.parse.failed':
      return new ValidationError('Malformed JSON body', [{ field: 'body', message: 'not valid JSON' }]);
    case 'entity.too.large':
      return new PayloadTooLargeError('Request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ValidationError('Unreadable request body');
    default:
      return null;
  }
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`No route for ${req.method} ${req.path}`));
};

/** The one place where any error becomes the REST failure envelope; an unexpected one is logged (with the request's id). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const appError = fromExpress(error) ?? toAppError(error);
    if (appError.status >= 500) logger.error({ err: error, req: { method: req.method, url: req.originalUrl.split('?')[0] } }, 'request failed');
    if (appError instanceof RateLimitedError) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    res.status(appError.status).json({ success: false, error: appError.toBody() });
  };
}
