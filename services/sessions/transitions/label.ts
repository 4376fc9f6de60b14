import { existingLabels, replaceSessionLabels } from '../../../models/queries/labels';
import { canKnow, canLabel, type Actor } from '../../access';
import type { SessionDTO } from '../../contract';
import { ValidationError } from '../../errors';
import { holderOf, type CommitStep } from './CommitStep';

/**
 * A session's labels, replaced as a whole (its assigned operator or an admin; closed sessions too). Every name
 * must be one of the team's labels; a name given twice counts once. Operators hear of it (`session:updated`).
 */
export async function labelSession(step: CommitStep, actor: Actor, sessionId: string, names: string[]): Promise<SessionDTO> {
  canKnow(actor, sessionId);
  const row = await step.lock(sessionId);
  canLabel(actor, { id: row.id, operatorId: holderOf(row) });
  const labels = [...new Set(names)].sort();
  const known = await existingLabels(step.db, labels, step.transaction);
  const unknown = labels.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new ValidationError('Unknown label', [{ field: 'labels', message: `no such label: ${unknown.join(', ')}` }]);
  await replaceSessionLabels(step.db, sessionId, labels, step.transaction);
  await step.log(sessionId, 'labelled', actor.kind === 'operator' ? actor.operatorId : null, { labels });
  const session = await step.view(sessionId);
  step.emit('session.updated', { session });
  return session;
}
