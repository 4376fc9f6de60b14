import { eraseSessionContent } from '../../../models/queries/privacy';
import { requireAdmin, type Actor } from '../../access';
import type { CommitStep } from './CommitStep';
import { closeSession } from './close';

/** What one session's erasure did: `erased` false when it had been erased already and held nothing new. */
export interface SessionErasure {
  sessionId: string;
  /** The customer id it had (now blanked). */
  customerId: string | null;
  erased: boolean;
  messages: number;
  attachments: number;
}

/**
 * Erases a session (PROTOCOL.md "Customer data"), by an admin or by retention (the system): an open one is
 * closed first; then its messages (both sides, notes, system lines), its attachments, its mails and the words
 * of its audit trail are deleted, and the customer's id, name, email and metadata, the rating and comment and
 * the close reason blanked. What statistics count stays (status, operator, times, labels, assignments). Its
 * customer token stops opening it. An `erased` event records who and when, never what.
 *
 * Decided under the session's lock, so two erasures of one session (two admins, two retention passes) erase it
 * once. A session erased before is swept again (a note added since, say) without a second `erased` event when
 * nothing was left to delete. The files on disk go before and after the transition (PrivacyService).
 */
export async function eraseSession(step: CommitStep, actor: Actor, sessionId: string): Promise<SessionErasure> {
  requireAdmin(actor);
  const row = await step.lock(sessionId);
  const customerId = row.customerId ?? null;
  const blank = {
    customerId: null,
    customerName: null,
    customerEmail: null,
    metadata: null,
    rating: null,
    ratingComment: null,
    closeReason: null,
    // Not a SHA-256 hash of anything: no customer token matches it again.
    customerTokenHash: '',
  };
  // Blanked before an open session is closed, so that the news of the close (sockets, webhooks) carries nothing of
  // the customer either.
  const closingNow = row.status !== 'closed';
  if (closingNow) {
    await step.update(sessionId, blank);
    await closeSession(step, actor, sessionId, undefined);
  }
  // The audit lines so far (the close's) are written now, so that their details are erased with the rest.
  await step.flush();
  const content = await eraseSessionContent(step.db, sessionId, step.transaction);
  // The close line just written is this erasure's own, not what the customer's chat held: not counted.
  const messages = content.messages - (closingNow ? 1 : 0);
  const { attachments } = content;
  if (row.erasedAt && messages === 0 && attachments === 0) return { sessionId, customerId, erased: false, messages, attachments };
  await step.update(sessionId, { ...blank, erasedAt: step.now });
  step.log(sessionId, 'erased', actor.kind === 'operator' ? actor.operatorId : null, { by: actor.kind === 'operator' ? 'admin' : 'retention', messages, attachments });
  step.emit('session.erased', { session: await step.view(sessionId) });
  return { sessionId, customerId, erased: true, messages, attachments };
}
