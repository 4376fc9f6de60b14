import type { SessionDTO } from '../../contract';
import type { CommitStep } from './CommitStep';
import { reopenLine } from './lines';

/**
 * A closed session back in the queue because its customer wrote again (a reply by email, PROTOCOL.md "Email": it
 * becomes a message in that session, and someone must read it): at the end of the queue, routed as any waiting
 * session, with a line saying why. Null when it is not closed (nothing to do) or its customer data was erased
 * (nobody to answer).
 */
export async function reopenSession(step: CommitStep, sessionId: string, reason: string): Promise<SessionDTO | null> {
  const row = await step.lock(sessionId);
  if (row.status !== 'closed' || row.erasedAt !== null) return null;
  await step.update(sessionId, { status: 'waiting', operatorId: null, assignedAt: null, firstResponseAt: null, requeuedFrom: null, closedAt: null, closedBy: null, closeReason: null, queuedAt: step.now });
  step.log(sessionId, 'queued', null, { reason });
  const line = await step.line(sessionId, reopenLine);
  const session = await step.view(sessionId);
  step.emit('session.reopened', { session });
  step.emit('message.created', { message: line, session });
  step.queueChanged();
  return session;
}
