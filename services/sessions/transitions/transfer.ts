import type { ChatSession } from '../../../models';
import { operatorNames } from '../../../models/queries/operators';
import { canTransfer, type Actor } from '../../access';
import type { SessionDTO } from '../../contract';
import { ConflictError } from '../../errors';
import { claimLocked } from './claim';
import { holderOf, type CommitStep } from './CommitStep';
import { departmentLine, transferLine } from './lines';

export interface TransferTarget {
  operatorId?: number;
  department?: string;
}

/**
 * Moves a session to another operator (who must have a free seat) or to a department's queue. The row is locked
 * first: the checks and the move see the session as it is now, whoever changed it a moment ago.
 */
export async function transferSession(step: CommitStep, actor: Actor, sessionId: string, target: TransferTarget): Promise<SessionDTO> {
  const row = await step.lock(sessionId);
  canTransfer(actor, { id: row.id, operatorId: holderOf(row) });
  if (row.status === 'closed') throw new ConflictError('SESSION_CLOSED', 'The session is closed');
  const fromId = row.status === 'active' ? holderOf(row) : null;
  if (target.operatorId === undefined) return toDepartment(step, row, target.department as string, fromId);
  if (fromId === null) return claimLocked(step, row, target.operatorId, { strategy: 'transfer', reason: 'transferred' });
  const toId = target.operatorId;
  if (toId === fromId) throw new ConflictError('CONFLICT', 'The session is already with that operator');

  await step.takeSeat(toId);
  await step.update(sessionId, { operatorId: toId, assignedAt: step.now, firstResponseAt: null });
  await step.releaseSeat(fromId);
  await step.release(sessionId);
  await step.hold([{ sessionId, operatorId: toId }]);
  const names = await operatorNames(step.db, [fromId, toId], step.transaction);
  step.log(sessionId, 'transferred', toId, { fromOperatorId: fromId, toOperatorId: toId });
  const line = await step.line(sessionId, transferLine(names.get(fromId), names.get(toId)));
  const session = await step.view(sessionId);
  step.emit('message.created', { message: line, session });
  step.emit('session.transferred', { session, fromOperatorId: fromId, toOperatorId: toId });
  return session;
}

/** Back to the queue, for a department's operators, in the place its creation gave it. */
async function toDepartment(step: CommitStep, row: ChatSession, department: string, fromId: number | null): Promise<SessionDTO> {
  await step.update(row.id, { status: 'waiting', operatorId: null, assignedAt: null, department, queuedAt: row.createdAt, firstResponseAt: null });
  if (fromId !== null) await step.releaseSeat(fromId);
  await step.release(row.id);
  step.log(row.id, 'transferred', null, { fromOperatorId: fromId, department });
  const line = await step.line(row.id, departmentLine(department));
  const session = await step.view(row.id);
  step.emit('message.created', { message: line, session });
  step.emit('session.transferred', { session, fromOperatorId: fromId, toOperatorId: null });
  step.queueChanged();
  return session;
}
