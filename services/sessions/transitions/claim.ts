import type { ChatSession } from '../../../models';
import { operatorNames } from '../../../models/queries/operators';
import type { SessionDTO } from '../../contract';
import { ConflictError } from '../../errors';
import type { CommitStep } from './CommitStep';
import { joinedLine } from './lines';

/** Why a session was given to this operator, as its audit trail records it. */
export interface ClaimReason {
  strategy: string;
  reason: string;
}

/**
 * Gives a waiting session to one operator (session:join, POST /assign with an operator, a transfer of a
 * waiting session): the session row is locked first, then the operator's seat is taken, both in one
 * transaction. ALREADY_ASSIGNED or SESSION_CLOSED say what the locked row holds; OPERATOR_AT_CAPACITY when
 * the seat cannot be had. (The operator column is set last, once the seat is held: setting it checks the
 * foreign key with a shared lock on the operator row, which must not come before the seat's exclusive lock.)
 */
export async function claimSession(step: CommitStep, sessionId: string, operatorId: number, why: ClaimReason): Promise<SessionDTO> {
  return claimLocked(step, await step.lock(sessionId), operatorId, why);
}

/** SESSION_CLOSED or ALREADY_ASSIGNED for a session that does not wait: what is true of it now. */
export function requireWaiting(session: Pick<ChatSession, 'status'>): void {
  if (session.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
  if (session.status !== 'waiting') throw new ConflictError('ALREADY_ASSIGNED', 'The session already has an operator');
}

/** As claimSession, for a session the transition has already locked. */
export async function claimLocked(step: CommitStep, row: ChatSession, operatorId: number, why: ClaimReason): Promise<SessionDTO> {
  requireWaiting(row);
  await step.takeSeat(operatorId);
  await step.update(row.id, { status: 'active', operatorId, assignedAt: step.now, queuedAt: null, firstResponseAt: null });
  await step.hold([{ sessionId: row.id, operatorId }]);
  const names = await operatorNames(step.db, [operatorId], step.transaction);
  step.log(row.id, 'assigned', operatorId, { strategy: why.strategy, reason: why.reason });
  const line = await step.line(row.id, joinedLine(names.get(operatorId)));
  const session = await step.view(row.id);
  step.emit('session.assigned', { session, operatorId, strategy: why.strategy, reason: why.reason });
  step.emit('message.created', { message: line, session });
  step.queueChanged();
  return session;
}
