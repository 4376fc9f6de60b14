import type { Transaction } from 'sequelize';
import type { Db } from '../../models/db';
import { seatState, takeSeat } from '../../models/queries/operators';
import { ConflictError, NotFoundError } from '../errors';

/**
 * Takes one of the operator's seats in the caller's transaction (invariant 1), or throws so that the
 * transaction rolls back: NOT_FOUND for an unknown or disabled operator, OPERATOR_AT_CAPACITY saying why
 * (offline, or no free seat, n of max).
 */
export async function claimSeat(db: Db, operatorId: number, at: Date, transaction: Transaction): Promise<void> {
  if (await takeSeat(db, operatorId, at, transaction)) return;
  const operator = await seatState(db, operatorId, transaction);
  if (!operator) throw new NotFoundError('Operator not found');
  const why = operator.status === 'offline' ? 'is offline' : `has no free seat (${operator.activeSessions} of ${operator.maxConcurrentSessions})`;
  throw new ConflictError('OPERATOR_AT_CAPACITY', `${operator.name} ${why} and cannot take another session now`);
}
