import type { OperatorRole } from './contract';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from './errors';

/**
 * Who is acting, and every named check of what they may do (DESIGN.md decision 11). The checks are pure: they
 * read the actor and what the caller already knows of the resource, and throw the typed error the contract
 * gives (a customer learns nothing of other sessions: 404, not 403). Every service method takes the actor and
 * calls these; REST routes and socket events also declare an AccessRule that the transport checks first.
 */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'customer'; sessionId: string }
  /** `name` as their token was last checked: what their messages are signed with. */
  | { kind: 'operator'; operatorId: number; role: OperatorRole; name: string }
  | { kind: 'system' };

export type OperatorActor = Extract<Actor, { kind: 'operator' }>;
export type CustomerActor = Extract<Actor, { kind: 'customer' }>;

/** A caller with no token, on a public route. */
export const ANONYMOUS: Actor = { kind: 'anonymous' };
/** The server itself: the sweeper, bootstrap, scripts. */
export const SYSTEM: Actor = { kind: 'system' };

/** Turns a bearer token into the actor (services/operators/AuthService): the one thing the transports ask of auth. */
export interface Authenticator {
  authenticate(token: string): Promise<Actor>;
}

/** What the checks read of a session: which one, and who holds it. */
export interface SessionFacts {
  id: string;
  operatorId: number | null;
}

export const isAdmin = (actor: Actor): boolean => actor.kind === 'operator' && actor.role === 'admin';

const NOT_FOUND = 'Session not found';

/** Only operators (an admin is one). */
export function requireOperator(actor: Actor): asserts actor is OperatorActor | { kind: 'system' } {
  if (actor.kind === 'anonymous') throw new UnauthenticatedError();
  if (actor.kind === 'customer') throw new ForbiddenError('Operators only');
}

/** Only admins (and the server itself). */
export function requireAdmin(actor: Actor): void {
  requireOperator(actor);
  if (actor.kind === 'operator' && actor.role !== 'admin') throw new ForbiddenError('Admins only');
}

/** Any operator may know of any session; a customer only of their own (404 otherwise, as for one that does not exist). */
export function canKnow(actor: Actor, sessionId: string): void {
  if (actor.kind === 'anonymous') throw new UnauthenticatedError();
  if (actor.kind === 'customer' && actor.sessionId !== sessionId) throw new NotFoundError(NOT_FOUND);
}

/** Read a session, its messages, its trail: the same as knowing of it. */
export const canRead = canKnow;

/** Take part in a session (send, type, mark read, close): its customer, its assigned operator, or an admin. */
export function canParticipate(actor: Actor, session: SessionFacts): void {
  canKnow(actor, session.id);
  if (actor.kind !== 'operator' || isAdmin(actor)) return;
  if (session.operatorId !== actor.operatorId) throw new ForbiddenError('Only the assigned operator or an admin may do this');
}

export const canPost = canParticipate;
export const canClose = canParticipate;

/** Move a session to another operator or a department: its assigned operator or an admin, never a customer. */
export function canTransfer(actor: Actor, session: SessionFacts): void {
  canKnow(actor, session.id);
  if (actor.kind === 'customer') throw new ForbiddenError('Customers cannot do this');
  canParticipate(actor, session);
}

/** Set a session's labels (closed ones too): its assigned operator or an admin; never a customer. */
export function canLabel(actor: Actor, session: SessionFacts): void {
  requireOperator(actor);
  if (actor.kind !== 'operator' || isAdmin(actor)) return;
  if (session.operatorId !== actor.operatorId) throw new ForbiddenError('Only the assigned operator or an admin may label this session');
}

/** Rate a session: its customer only. */
export function canRate(actor: Actor, sessionId: string): void {
  canKnow(actor, sessionId);
  if (actor.kind !== 'customer') throw new ForbiddenError('Only the customer of this session may rate it');
}

/** Set an operator's status: that operator, or an admin. */
export function canSetStatus(actor: Actor, operatorId: number): void {
  requireOperator(actor);
  if (actor.kind === 'operator' && actor.operatorId !== operatorId && !isAdmin(actor)) throw new ForbiddenError('Only the operator or an admin may change this status');
}

/** Give a waiting session to a named operator: oneself, or anyone for an admin. */
export function canAssignTo(actor: Actor, operatorId: number): void {
  requireOperator(actor);
  if (actor.kind === 'operator' && actor.operatorId !== operatorId && !isAdmin(actor)) throw new ForbiddenError('Only an admin may assign a session to another operator');
}

/**
 * Who may call a REST route or send a socket event, as the transport checks it before any service runs
 * (PROTOCOL.md's "who" column). Every route and every event declares one; registering either without it is an
 * error at start-up.
 */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'operator' }
  | { kind: 'admin' }
  /** Any operator, or the customer of the session named by the request (its path parameter, or a socket's own). */
  | { kind: 'operatorOrSessionCustomer'; param: string }
  /** Only the customer of the session named by the request. */
  | { kind: 'sessionCustomer'; param: string }
  /**
   * Anyone: what may be done is the service's to decide from what the request holds (a signed link to a file),
   * with the actor of a token when one is given (a customer's own files, any operator's).
   */
  | { kind: 'signedLinkOrToken' };

export const access = {
  public: { kind: 'public' } as AccessRule,
  operator: { kind: 'operator' } as AccessRule,
  admin: { kind: 'admin' } as AccessRule,
  operatorOrSessionCustomer: (param = 'sessionId'): AccessRule => ({ kind: 'operatorOrSessionCustomer', param }),
  sessionCustomer: (param = 'sessionId'): AccessRule => ({ kind: 'sessionCustomer', param }),
  signedLinkOrToken: { kind: 'signedLinkOrToken' } as AccessRule,
};

/** The rule against an authenticated actor; `sessionId` is the session the request names, if any. */
export function checkRule(rule: AccessRule, actor: Actor, sessionId: string | undefined): void {
  switch (rule.kind) {
    case 'public':
    case 'signedLinkOrToken':
      return;
    case 'operator':
      if (actor.kind !== 'operator') throw new ForbiddenError('Operators only');
      return;
    case 'admin':
      if (actor.kind !== 'operator' || actor.role !== 'admin') throw new ForbiddenError('Admins only');
      return;
    case 'operatorOrSessionCustomer':
      if (actor.kind === 'operator') return;
      if (actor.kind === 'customer' && actor.sessionId === sessionId) return;
      // A customer learns nothing about sessions that are not theirs.
      throw new NotFoundError(NOT_FOUND);
    case 'sessionCustomer':
      if (actor.kind === 'customer' && actor.sessionId === sessionId) return;
      if (actor.kind === 'customer') throw new NotFoundError(NOT_FOUND);
      throw new ForbiddenError('Only the customer of this session may do this');
  }
}
