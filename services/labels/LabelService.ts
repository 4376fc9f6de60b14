import { UniqueConstraintError } from 'sequelize';
import type { Db } from '../../models/db';
import { deleteLabel, insertLabel, labelsOf, selectLabels, sessionsLabelled } from '../../models/queries/labels';
import { requireAdmin, requireOperator, type Actor } from '../access';
import type { AuditLog } from '../audit/AuditLog';
import type { LabelDTO } from '../contract';
import { ConflictError, NotFoundError } from '../errors';
import type { Transitions } from '../sessions/transitions/pipeline';

/**
 * The team's labels (PROTOCOL.md "Labels"): every operator reads them, admins define and delete them. Deleting
 * one takes it off every session that carried it, as one transition: their operators hear `session:updated`.
 * (Setting a session's labels is a transition of its own: transitions/label.ts.)
 */
export class LabelService {
  constructor(
    private readonly db: Db,
    private readonly transitions: Transitions,
    private readonly audit: AuditLog,
  ) {}

  async list(actor: Actor): Promise<LabelDTO[]> {
    requireOperator(actor);
    return selectLabels(this.db);
  }

  async create(actor: Actor, input: { name: string; color?: string }): Promise<LabelDTO> {
    requireAdmin(actor);
    const label = { name: input.name, color: input.color?.toLowerCase() ?? null };
    try {
      await this.db.transaction(async (transaction) => {
        await insertLabel(this.db, label, new Date(), transaction);
        await this.audit.record(actor, { action: 'label.created', target: { type: 'label', id: label.name }, detail: { color: label.color } }, transaction);
      });
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw new ConflictError('CONFLICT', `A label named ${input.name} exists`);
      throw error;
    }
    return label;
  }

  /** Deletes a label and takes it off every session; answers the label as it was. */
  async remove(actor: Actor, name: string): Promise<LabelDTO> {
    requireAdmin(actor);
    return this.transitions.run(async (step) => {
      const label = (await selectLabels(this.db, step.transaction)).find((known) => known.name === name);
      if (!label) throw new NotFoundError('Label not found');
      const sessionIds = (await sessionsLabelled(this.db, name, step.transaction)).sort();
      // Locked like any change to a session (in one order, so two of these cannot deadlock), so that a
      // concurrent relabelling is not overwritten with a list read before it.
      for (const sessionId of sessionIds) await step.lock(sessionId);
      await deleteLabel(this.db, name, step.transaction);
      await this.audit.record(actor, { action: 'label.deleted', target: { type: 'label', id: name }, detail: { sessions: sessionIds.length } }, step.transaction);
      const remaining = await labelsOf(this.db, sessionIds, step.transaction);
      for (const [sessionId, labels] of remaining) {
        await step.update(sessionId, { labels });
        step.emit('session.updated', { session: await step.view(sessionId) });
      }
      return label;
    });
  }
}
