import { Op, type Transaction } from 'sequelize';
import type { Db } from '../db';

/**
 * The assignment history (migration 004): one row each time a session is given to an operator. Statistics read
 * it, so a transfer never moves one operator's figures to another (PROTOCOL.md invariant 6).
 */

/** Opens an assignment for each of these sessions' new operators (the caller has ended any open one). */
export async function openAssignments(db: Db, assignments: Array<{ sessionId: string; operatorId: number }>, at: Date, transaction: Transaction): Promise<void> {
  if (assignments.length === 0) return;
  await db.models.SessionAssignment.bulkCreate(
    assignments.map(({ sessionId, operatorId }) => ({ sessionId, operatorId, assignedAt: at })),
    { transaction, validate: false, returning: false },
  );
}

/** The session left its operator (transfer, requeue, close). */
export async function endAssignments(db: Db, sessionIds: string[], at: Date, transaction: Transaction): Promise<void> {
  await db.models.SessionAssignment.update({ endedAt: at }, { where: { sessionId: { [Op.in]: sessionIds }, endedAt: null }, transaction });
}

/** Per operator, the seconds from getting a session to their first message in it, over their recent assignments. */
export async function firstResponseTimes(db: Db, limit: number): Promise<Map<number, number[]>> {
  // Plain rows, read from the index (first_response_at, operator_id, assigned_at) of migration 012 alone: a whole
  // sample is `limit` rows on every stats request, and model instances for them cost the event loop more than the read.
  const rows = await db.selectRows<{ operatorId: number | string; assignedAt: Date | string; firstResponseAt: Date | string }>(
    'SELECT operator_id AS operatorId, assigned_at AS assignedAt, first_response_at AS firstResponseAt FROM session_assignments WHERE first_response_at IS NOT NULL ORDER BY first_response_at DESC LIMIT ?',
    [limit],
    undefined,
  );
  const times = new Map<number, number[]>();
  for (const row of rows) {
    const operatorId = Number(row.operatorId);
    const list = times.get(operatorId) ?? [];
    list.push(Math.max(0, (new Date(row.firstResponseAt).getTime() - new Date(row.assignedAt).getTime()) / 1000));
    times.set(operatorId, list);
  }
  return times;
}
