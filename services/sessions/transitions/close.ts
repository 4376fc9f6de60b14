import type { ChatSession } from '../../../models';
import { canClose, type Actor } from '../../access';
import type { ClosedBy, SessionDTO } from '../../contract';
import { ConflictError } from '../../errors';
import { holderOf, type CommitStep } from './CommitStep';
import { closeLine } from './lines';

const closedByOf = (actor: Actor): ClosedBy => (actor.kind === 'customer' ? 'customer' : actor.kind === 'operator' ? 'operator' : 'system');

/**
 * Closes a session that is not closed yet, whatever it was doing a moment ago (waiting, being assigned,
 * transferred or requeued): the row is locked first, so SESSION_CLOSED is answered only when it is closed
 * (invariant 5). `onlyIf` lets the sweeper close only what is still idle; it returns null otherwise.
 */
export async function closeSession(
  step: CommitStep,
  actor: Actor,
  sessionId: string,
  reason: string | undefined,
  onlyIf?: (row: ChatSession) => boolean,
): Promise<SessionDTO | null> {
  const row = await step.lock(sessionId);
  canClose(actor, { id: row.id, operatorId: holderOf(row) });
  if (row.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is already closed');
  if (onlyIf && !onlyIf(row)) return null;
  const closedBy = closedByOf(actor);
  const operatorId = holderOf(row);
  await step.update(sessionId, { status: 'closed', closedAt: step.now, closedBy, closeReason: reason ?? null, queuedAt: null });
  if (row.status === 'active' && operatorId !== null) await step.releaseSeat(operatorId);
  await step.release(sessionId);
  step.log(sessionId, 'closed', operatorId, { closedBy, reason: reason ?? null });
  const line = await step.line(sessionId, closeLine(closedBy, reason));
  const session = await step.view(sessionId);
  step.emit('message.created', { message: line, session });
  step.emit('session.closed', { session, operatorId });
  if (row.status === 'waiting') step.queueChanged();
  return session;
}
