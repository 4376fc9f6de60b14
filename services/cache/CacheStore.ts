import type { OperatorDTO } from '../contract';

/**
 * What the cache keeps of an operator: an enabled one (disabled ones are never cached) as the API shows them,
 * so they can be listed and ranked without the database, and the row's version. `lastSeenAt` is as of the
 * last write: presence renewals touch only the row.
 */
export interface CachedOperator extends OperatorDTO {
  /** The row's version; an older copy never replaces a newer one. */
  version: number;
}

export interface CacheSnapshot {
  operators: CachedOperator[];
  /** sessionId → operatorId for every active session. */
  sessions: Array<{ sessionId: string; operatorId: number }>;
}

/**
 * Where cached state lives: Redis (shared by every process) or this process's memory. Methods may throw
 * when the backing service is down; StateCache turns that into a fall-back to the database.
 */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  /** Every cached operator, or null when the store has lost its content and needs a rebuild. */
  getOperators(): Promise<CachedOperator[] | null>;
  getOperator(id: number): Promise<CachedOperator | null>;
  /** Stores the copy unless the cache already holds the same or a newer version. */
  putOperator(operator: CachedOperator): Promise<void>;
  removeOperator(id: number): Promise<void>;
  getSessionOperator(sessionId: string): Promise<number | null>;
  setSessionOperator(sessionId: string, operatorId: number | null): Promise<void>;
  /** Round-robin rotation: the operator who got the last round-robin assignment, shared by every process. */
  getRotation(): Promise<number | null>;
  setRotation(operatorId: number): Promise<void>;
  /** Replaces everything with the snapshot and marks the cache as built. */
  replaceAll(snapshot: CacheSnapshot): Promise<void>;
  /** False when the store has lost its content (a Redis restart or FLUSHDB) and needs a rebuild. */
  isBuilt(): Promise<boolean>;
  /** Round-trip time in milliseconds. */
  ping(): Promise<number>;
  close(): Promise<void>;
}
