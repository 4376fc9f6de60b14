import type { Request, RequestHandler } from 'express';
import { ANONYMOUS, checkRule, type AccessRule, type Actor, type Authenticator } from '../services/access';
import { UnauthenticatedError } from '../services/errors';

export { access, type AccessRule } from '../services/access';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `authorize`: the caller (ANONYMOUS on a public route). */
    actor?: Actor;
  }
}

function bearer(req: Request): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthenticatedError('Authorization must be "Bearer <token>"');
  return match[1] ?? null;
}

/** The one middleware that decides who the caller is and whether the route's rule lets them in. */
export function authorize(auth: Authenticator, rule: AccessRule): RequestHandler {
  return async (req, _res, next) => {
    try {
      if (rule.kind === 'public') {
        req.actor = ANONYMOUS;
        next();
        return;
      }
      const token = bearer(req);
      if (!token && rule.kind === 'signedLinkOrToken') {
        req.actor = ANONYMOUS;
        next();
        return;
      }
      if (!token) throw new UnauthenticatedError();
      const actor = await auth.authenticate(token);
      req.actor = actor;
      checkRule(rule, actor, 'param' in rule ? String(req.params[rule.param]) : undefined);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** The caller of a route (ANONYMOUS on a public one). */
export function actorOf(req: Request): Actor {
  return req.actor ?? ANONYMOUS;
}
