import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { runInRequestContext } from '../src/observability/requestContext';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** 503 is an expected answer (not ready, shutting down), not a failure of the request. */
function levelOf(status: number): 'info' | 'warn' | 'error' {
  if (status === 503) return 'warn';
  if (status >= 500) return 'error';
  return status >= 400 ? 'warn' : 'info';
}

/** The path without its query string (which may carry ids or search terms). */
const pathOf = (req: Request): string => (req.originalUrl ?? req.url).split('?')[0] as string;

/**
 * Every request's id and its one log line. The id is the `X-Request-Id` the caller sent (when it looks like
 * one) or a new one, answered in the same header; everything logged while serving the request, services
 * included, carries it (src/requestContext.ts). One short line when the response is sent, or when the client
 * gives up first: method, path and status, never headers (tokens) or bodies (messages). /health, polled by
 * load balancers, is not logged.
 *
 * Written here rather than with pino-http, whose child logger per request cost more CPU than the cached reads
 * it logged (measured with bench:http).
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const reqId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', reqId);
    if (req.url !== '/health') {
      const started = process.hrtime.bigint();
      // Written in the request's context, so the line carries its reqId like every other line of it.
      const log = (level: 'info' | 'warn' | 'error', message: string): void => {
        if (!logger.isLevelEnabled(level)) return;
        const responseTime = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
        const line = { req: { id: reqId, method: req.method, url: pathOf(req) }, res: { statusCode: res.headersSent ? res.statusCode : null }, responseTime };
        runInRequestContext({ reqId }, () => logger[level](line, message));
      };
      res.once('finish', () => log(levelOf(res.statusCode), 'request completed'));
      res.once('close', () => {
        if (!res.writableFinished) log('warn', 'request aborted');
      });
    }
    runInRequestContext({ reqId }, next);
  };
}
