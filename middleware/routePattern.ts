import type { Request, RequestHandler, Response } from 'express';

/**
 * The pattern of the route that matched (`/api/chat/sessions/:sessionId`), for per-route figures: never the
 * raw URL, whose ids would make one series per session. Recorded when the route matches, because once an
 * error leaves a mounted router Express has already restored `req.baseUrl` to the app's.
 */
export function recordRoutePattern(pattern: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.routePattern = pattern;
    next();
  };
}

/** The matched route's pattern, or undefined when no route matched (404 from the fallback handler). */
export function routePatternOf(req: Request, res: Response): string | undefined {
  const recorded: unknown = res.locals.routePattern;
  if (typeof recorded === 'string') return recorded;
  // Routes outside the registry (/health, /ready, /metrics) answer themselves, inside their router.
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : undefined;
}
