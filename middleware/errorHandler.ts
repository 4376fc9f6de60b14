import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AppError} from '../services/errors';
import { NotFoundError, PayloadTooLargeError, RateLimitedError, ValidationError, toAppError } from '../services/errors';

/** body-parser's failures carry a `type`; each becomes the code PROTOCOL.md gives it. */
function fromBodyParser(error: unknown): AppError | null {
  const type = (error as { type?: unknown } | null)?.type;
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
    const appError = fromBodyParser(error) ?? toAppError(error);
    if (appError.status >= 500) logger.error({ err: error, req: { method: req.method, url: req.originalUrl.split('?')[0] } }, 'request failed');
    if (appError instanceof RateLimitedError) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    res.status(appError.status).json({ success: false, error: appError.toBody() });
  };
}
