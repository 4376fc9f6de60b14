import type { Db } from '../../models/db';
import { countAvailable, countOnline } from '../../models/queries/operators';
import type { CachedOperator } from '../cache/CacheStore';
import type { StateCache } from '../cache/StateCache';
import { toCachedOperator } from '../cache/snapshot';
import type { OperatorDTO } from '../contract';

/**
 * PROTOCOL.md's "available": enabled, online, below capacity. The SQL form of the same rule is
 * models/queries/operators.ts AVAILABLE; nothing else decides it.
 */
export const isAvailable = (operator: Pick<OperatorDTO, 'status' | 'activeSessions' | 'maxConcurrentSessions' | 'disabled'>): boolean =>
  !operator.disabled && operator.status === 'online' && operator.activeSessions < operator.maxConcurrentSessions;

/** Least loaded first (load relative to capacity), then by id. */
const byLoad = (a: OperatorDTO, b: OperatorDTO): number => a.activeSessions / a.maxConcurrentSessions - b.activeSessions / b.maxConcurrentSessions || a.id - b.id;

/** The available operators, from the cache, or from the database when the cache cannot answer. */
export class OperatorDirectory {
  /** The last answer of available() and the cached list it was computed from. Shared: callers never mutate it. */
  private lastAvailable: { source: CachedOperator[]; result: OperatorDTO[] } | null = null;

  constructor(
    private readonly db: Db,
    private readonly cache: StateCache,
  ) {}

  /** Least loaded first; served from the cache, the database when it is down. */
  async available(): Promise<OperatorDTO[]> {
    const cached = await this.cache.getOperatorsForDisplay();
    // The cache hands out the same list until it changes: filter and sort it once per list, not per request.
    if (cached !== null && cached === this.lastAvailable?.source) return this.lastAvailable.result;
    const operators = cached ?? (await this.db.models.Operator.findAll({ where: { disabled: false } })).map(toCachedOperator);
    const result = operators
      .filter(isAvailable)
      .map(({ version: _version, ...shown }): OperatorDTO => shown)
      .sort(byLoad);
    this.lastAvailable = cached === null ? null : { source: cached, result };
    return result;
  }

  /**
   * Whether any operator is online (a new session is marked `offline` otherwise): the cache's list as this
   * process last read it (at most OPERATORS_MEMO_MS old), the database when the cache cannot answer.
   */
  async anyoneOnline(): Promise<boolean> {
    const cached = await this.cache.getOperatorsForDisplay();
    return cached ? cached.some((o) => o.status === 'online') : (await countOnline(this.db)) > 0;
  }

  /** How many are available now: from the cache, or counted by the database with the same rule. */
  async countAvailable(): Promise<number> {
    const cached = await this.cache.getOperators();
    return cached ? cached.filter(isAvailable).length : countAvailable(this.db);
  }
}
