import { canRate, type Actor } from '../../access';
import type { SessionDTO } from '../../contract';
import { ConflictError } from '../../errors';
import type { CommitStep } from './CommitStep';

/** The customer rates a closed session, once. */
export async function rateSession(step: CommitStep, actor: Actor, sessionId: string, rating: number, comment: string | undefined): Promise<SessionDTO> {
  canRate(actor, sessionId);
  const row = await step.lock(sessionId);
  if (row.status !== 'closed') throw new ConflictError('CONFLICT', 'A session can be rated once it is closed');
  if (row.rating !== null && row.rating !== undefined) throw new ConflictError('CONFLICT', 'The session has already been rated');
  await step.update(sessionId, { rating, ratingComment: comment ?? null });
  step.log(sessionId, 'rated', null, { rating });
  const session = await step.view(sessionId);
  step.emit('session.rated', { session });
  return session;
}
