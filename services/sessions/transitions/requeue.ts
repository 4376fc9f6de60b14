import type { ChatSession } from '../../../models';
import { countWaiting, headOfQueueTime } from '../../../models/queries/sessions';
import type { SessionDTO } from '../../contract';
import { holderOf, type CommitStep } from './CommitStep';
import { requeueLine } from './lines';

/** How a session leaves its operator for the queue. */
export interface RequeueOptions {
  /**
   * It never goes straight back to them (they let it wait: PROTOCOL.md's accept timeout). Not when they went
   * offline: back, they may take it again, and must, if they are the only one.
   */
  keepAway: boolean;
  /** Checked on the locked row: when it no longer holds, nothing is done. */
  onlyIf?: (row: ChatSession) => boolean;
}

/**
 * Takes a session away from its operator and puts it at the head of the queue (no reply in time, operator
 * gone). Null when the locked row shows another change came first (the session is no longer theirs, or
 * `onlyIf` no longer holds): nothing to do, on any process.
 */
export async function requeueSession(step: CommitStep, sessionId: string, operatorId: number, reason: string, { keepAway, onlyIf }: RequeueOptions): Promise<SessionDTO | null> {
  const row = await step.lock(sessionId);
  if (row.status !== 'active' || holderOf(row) !== operatorId || (onlyIf && !onlyIf(row))) return null;
  const queuedAt = await headOfQueueTime(step.db, step.transaction);
  await step.update(sessionId, { status: 'waiting', operatorId: null, assignedAt: null, queuedAt, requeuedFrom: keepAway ? operatorId : null, firstResponseAt: null });
  await step.releaseSeat(operatorId);
  await step.release(sessionId);
  step.log(sessionId, 'requeued', operatorId, { reason });
  const line = await step.line(sessionId, requeueLine);
  const session = await step.view(sessionId);
  const waiting = await countWaiting(step.db, step.transaction);
  step.emit('session.unassigned', { session, operatorId, reason, waiting });
  step.emit('message.created', { message: line, session });
  step.queueChanged();
  return session;
}
