import { Op, col, literal, type Transaction, type WhereOptions } from 'sequelize';
import type { Db } from '../db';
import type { Operator } from '../index';

/**
 * PROTOCOL.md's "available" in SQL: enabled, online, below capacity. services/operators/availability.ts says
 * the same of an operator already read (`isAvailable`); the two are kept side by side in meaning, and only
 * these two places decide it.
 */
export const AVAILABLE: WhereOptions = { status: 'online', disabled: false, activeSessions: { [Op.lt]: col('max_concurrent_sessions') } };

/** Enabled operators whose status is online (with or without a free seat). */
export function countOnline(db: Db, transaction?: Transaction): Promise<number> {
  return db.models.Operator.count({ where: { status: 'online', disabled: false }, transaction });
}

export function countAvailable(db: Db): Promise<number> {
  return db.models.Operator.count({ where: AVAILABLE });
}

/**
 * The available operators, locked in id order: routing passes of every process take turns on these rows. Whole
 * rows: a pass writes the ones it seats through to the cache from them, without reading them again. Not those
 * whose last connection has dropped: still online through the grace period, they get no new chats (invariant 4).
 */
export function lockAvailable(db: Db, transaction: Transaction): Promise<Operator[]> {
  return db.models.Operator.findAll({
    where: { ...AVAILABLE, disconnectedAt: null },
    order: [['id', 'ASC']],
    lock: transaction.LOCK.UPDATE,
    transaction,
  });
}

/**
 * One more seat taken, only if the operator is enabled, online or busy, and below capacity (invariant 1, one
 * conditional statement). Returns whether it was taken.
 */
export async function takeSeat(db: Db, operatorId: number, at: Date, transaction: Transaction): Promise<boolean> {
  const [rows] = await db.models.Operator.update(
    { activeSessions: literal('active_sessions + 1'), lastAssignedAt: at, version: literal('version + 1') },
    { where: { id: operatorId, disabled: false, status: { [Op.in]: ['online', 'busy'] }, activeSessions: { [Op.lt]: col('max_concurrent_sessions') } }, transaction },
  );
  return rows === 1;
}

/**
 * Seats for a routing pass, n per operator, in one statement (only operators still online with room for all n).
 * Returns how many operators' rows changed.
 */
export async function takeSeats(db: Db, seats: Map<number, number>, at: Date, transaction: Transaction): Promise<number> {
  const added = `CASE id ${[...seats].map(([id, n]) => `WHEN ${Number(id)} THEN ${Number(n)}`).join(' ')} END`;
  const [rows] = await db.models.Operator.update(
    { activeSessions: literal(`active_sessions + ${added}`), lastAssignedAt: at, version: literal('version + 1') },
    { where: { id: { [Op.in]: [...seats.keys()] }, status: 'online', disabled: false, [Op.and]: [literal(`active_sessions + ${added} <= max_concurrent_sessions`)] }, transaction },
  );
  return rows;
}

/** A seat given back (closed, transferred away, requeued). */
export async function releaseSeat(db: Db, operatorId: number, transaction: Transaction): Promise<void> {
  await db.models.Operator.update(
    { activeSessions: literal('CASE WHEN active_sessions > 0 THEN active_sessions - 1 ELSE 0 END'), version: literal('version + 1') },
    { where: { id: operatorId }, transaction },
  );
}

/** Why a seat could not be had, read in the same transaction: null when the operator does not exist (or is disabled). */
export function seatState(db: Db, operatorId: number, transaction: Transaction): Promise<Operator | null> {
  return db.models.Operator.findOne({ attributes: ['name', 'status', 'activeSessions', 'maxConcurrentSessions'], where: { id: operatorId, disabled: false }, transaction });
}

/** Names by id, read in the caller's transaction. */
export async function operatorNames(db: Db, ids: number[], transaction?: Transaction): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.models.Operator.findAll({ attributes: ['id', 'name'], where: { id: { [Op.in]: ids } }, transaction });
  return new Map(rows.map((o) => [o.id, o.name]));
}
