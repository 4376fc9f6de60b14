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
  const rows = await db.models.SessionAssignment.findAll({
    attributes: ['operatorId', 'assignedAt', 'firstResponseAt'],
    where: { firstResponseAt: { [Op.ne]: null } },
    order: [['firstResponseAt', 'DESC']],
    limit,
  });
  const times = new Map<number, number[]>();
  for (const row of rows) {
    const list = times.get(row.operatorId) ?? [];
    list.push(Math.max(0, ((row.firstResponseAt as Date).getTime() - row.assignedAt.getTime()) / 1000));
    times.set(row.operatorId, list);
  }
  return times;
}
