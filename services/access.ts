import type { OperatorRole } from '../models';

/** Who is acting, as the services see it: decided by the transport's authentication, checked by the services. */
export type Actor =
  | { kind: 'customer'; sessionId: string }
  | { kind: 'operator'; operatorId: number; role: OperatorRole }
  | { kind: 'system' };

export type OperatorActor = Extract<Actor, { kind: 'operator' }>;
export type CustomerActor = Extract<Actor, { kind: 'customer' }>;

export const isAdmin = (actor: Actor): boolean => actor.kind === 'operator' && actor.role === 'admin';
