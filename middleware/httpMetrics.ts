import type { RequestHandler } from 'express';
import type { ServerMetrics } from '../src/observability/metrics/ServerMetrics';
import { routePatternOf } from './routePattern';

/** The route label of requests no route matched (unknown URLs, static files, CORS preflights): one series, not one per URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Counts and times every answered request by method, route pattern and status. */
export function httpMetrics(metrics: ServerMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { method: req.method, route: routePatternOf(req, res) ?? UNMATCHED_ROUTE, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
