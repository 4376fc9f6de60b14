import { ForeignKeyConstraintError } from 'sequelize';
import { existingLabels, replaceSessionLabels } from '../../../models/queries/labels';
import { canKnow, canLabel, type Actor } from '../../access';
import type { SessionDTO } from '../../contract';
import { ValidationError } from '../../errors';
import { holderOf, type CommitStep } from './CommitStep';

/** How many labels a session may carry (PROTOCOL.md "Labels"). */
const MAX_SESSION_LABELS = 20;

const unknownLabels = (names: string[]): ValidationError => new ValidationError('Unknown label', [{ field: 'labels', message: `no such label: ${names.join(', ')}` }]);

/**
 * A session's labels, replaced as a whole (its assigned operator or an admin; closed sessions too). Every name
 * must be one of the team's labels; a name given twice counts once. Operators hear of it (`session:updated`).
 */
export async function labelSession(step: CommitStep, actor: Actor, sessionId: string, names: string[]): Promise<SessionDTO> {
  canKnow(actor, sessionId);
  const row = await step.lock(sessionId);
  canLabel(actor, { id: row.id, operatorId: holderOf(row) });
  const labels = [...new Set(names)].sort();
  if (labels.length > MAX_SESSION_LABELS) throw new ValidationError('Too many labels', [{ field: 'labels', message: `at most ${MAX_SESSION_LABELS} labels` }]);
  const known = await existingLabels(step.db, labels, step.transaction);
  const unknown = labels.filter((name) => !known.has(name));
  if (unknown.length > 0) throw unknownLabels(unknown);
  // The same labels again change nothing: no event, nobody told.
  if (JSON.stringify(row.labels ?? []) === JSON.stringify(labels)) return step.view(sessionId);
  await replaceSessionLabels(step.db, sessionId, labels, step.transaction).catch((error: unknown) => {
    // Deleted by an admin since it was read (MySQL's foreign key): as unknown as if it had never been.
    if (error instanceof ForeignKeyConstraintError) throw unknownLabels(labels);
    throw error;
  });
  step.log(sessionId, 'labelled', actor.kind === 'operator' ? actor.operatorId : null, { labels });
  const session = await step.view(sessionId);
  step.emit('session.updated', { session });
  return session;
}
