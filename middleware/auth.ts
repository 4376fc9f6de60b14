import type { Request, RequestHandler } from 'express';
import type { Actor } from '../services/access';
import type { AuthService } from '../services/operators/AuthService';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../services/errors';

/**
 * Who may call a route (PROTOCOL.md's "who" column). Every route states one; the registry refuses a route
 * without it, so a forgotten rule fails at start-up instead of leaving an endpoint open.
 */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'operator' }
  | { kind: 'admin' }
  /** Any operator, or the customer whose session is named by the path parameter. */
  | { kind: 'operatorOrSessionCustomer'; param: string }
  /** Only the customer whose session is named by the path parameter. */
  | { kind: 'sessionCustomer'; param: string };

export const access = {
  public: { kind: 'public' } as AccessRule,
  operator: { kind: 'operator' } as AccessRule,
  admin: { kind: 'admin' } as AccessRule,
  operatorOrSessionCustomer: (param = 'sessionId'): AccessRule => ({ kind: 'operatorOrSessionCustomer', param }),
  sessionCustomer: (param = 'sessionId'): AccessRule => ({ kind: 'sessionCustomer', param }),
};

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `authorize`: the caller, or null on a public route called without a token. */
    actor?: Actor | null;
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
export function authorize(auth: AuthService, rule: AccessRule): RequestHandler {
  return async (req, _res, next) => {
    try {
      if (rule.kind === 'public') {
        req.actor = null;
        next();
        return;
      }
      const token = bearer(req);
      if (!token) throw new UnauthenticatedError();
      const actor = await auth.authenticate(token);
      req.actor = actor;
      check(rule, actor, req);
      next();
    } catch (error) {
      next(error);
    }
  };
}

function check(rule: AccessRule, actor: Actor, req: Request): void {
  switch (rule.kind) {
    case 'operator':
      if (actor.kind !== 'operator') throw new ForbiddenError('Operators only');
      return;
    case 'admin':
      if (actor.kind !== 'operator' || actor.role !== 'admin') throw new ForbiddenError('Admins only');
      return;
    case 'operatorOrSessionCustomer':
      if (actor.kind === 'operator') return;
      if (actor.kind === 'customer' && actor.sessionId === req.params[rule.param]) return;
      // A customer learns nothing about sessions that are not theirs.
      throw new NotFoundError('Session not found');
    case 'sessionCustomer':
      if (actor.kind === 'customer' && actor.sessionId === req.params[rule.param]) return;
      if (actor.kind === 'customer') throw new NotFoundError('Session not found');
      throw new ForbiddenError('Only the customer of this session may do this');
    case 'public':
      return;
  }
}

/** The authenticated actor of a route whose rule is not public. */
export function actorOf(req: Request): Actor {
  if (!req.actor) throw new UnauthenticatedError();
  return req.actor;
}
