import { Op } from 'sequelize';
import type { Logger } from 'pino';
import type { Db } from '../../models/db';
import type { Operator } from '../../models';
import { NotFoundError } from '../errors';
import type { CachedOperator } from './CacheStore';
import type { StateCache } from './StateCache';
import { toCachedOperator } from './snapshot';

/**
 * The operators' write-through: after a committed change, the rows are re-read and written to the cache (an
 * enabled operator as the API shows them, a disabled one removed). Re-read after the commit, never under the
 * transaction's locks, which other routing passes wait for. Rows a commit knows exactly (a routing pass's seats:
 * CommitStep.takeSeats) are written as they are, without a re-read.
 */
export class OperatorCache {
  constructor(
    private readonly db: Db,
    private readonly cache: StateCache,
    private readonly logger: Logger,
  ) {}

  /** Re-reads and writes through these operators; returns them as read (none when the read failed: logged). */
  async refresh(ids: number[]): Promise<Map<number, Operator>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.models.Operator.findAll({ where: { id: { [Op.in]: ids } } }).catch((error: unknown) => {
      this.logger.warn({ err: error, operators: ids.length }, 'operators were not re-read for the cache');
      return [];
    });
    await Promise.all(rows.map((row) => this.writeThrough(row)));
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Operators whose rows after a commit are known exactly (CommitStep.takeSeats): written through, no re-read. */
  async writeKnown(operators: CachedOperator[]): Promise<void> {
    await Promise.all(operators.map((operator) => this.cache.putOperator(operator)));
  }

  /** One operator, re-read and written through; NOT_FOUND when there is no such operator. */
  async refreshOne(id: number): Promise<Operator> {
    const row = await this.db.models.Operator.findByPk(id);
    if (!row) throw new NotFoundError('Operator not found');
    await this.writeThrough(row);
    return row;
  }

  private async writeThrough(operator: Operator): Promise<void> {
    if (operator.disabled) await this.cache.removeOperator(operator.id);
    else await this.cache.putOperator(toCachedOperator(operator));
  }
}
