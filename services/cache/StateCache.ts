import type { Logger } from 'pino';
import type { CacheSnapshot, CacheStore, CachedOperator } from './CacheStore';

/**
 * How long this process reuses the operators list it last read from the store. Every operator console polls
 * GET /api/operators/available, so a burst of reads then costs one store round trip per process per window.
 * Writes made through this process clear the memo at once (its own changes show immediately); another
 * process's changes show within this window. Display only: routing reads its candidates from the database.
 */
const OPERATORS_MEMO_MS = 250;

export interface CacheStatus {
  kind: 'redis' | 'memory';
  healthy: boolean;
}

/**
 * The cache the services use. It is written through by the services and rebuilt from the database at start
 * and whenever the store comes back empty. A failing store never fails a caller: reads return null (the
 * caller reads the database instead), writes are dropped and repaired by the next rebuild.
 */
export class StateCache {
  private healthy = true;
  private timer: NodeJS.Timeout | null = null;
  private rebuilding: Promise<void> | null = null;
  /** The last operators list read from the store, and a read in flight that concurrent callers share. */
  private operatorsMemo: { operators: CachedOperator[]; at: number } | null = null;
  private operatorsRead: Promise<CachedOperator[] | null> | null = null;
  /** Bumped by every write: a read that began before a write must not be memoised after it. */
  private generation = 0;

  constructor(
    private readonly store: CacheStore,
    private readonly loadSnapshot: () => Promise<CacheSnapshot>,
    private readonly logger: Logger,
    private readonly checkIntervalMs = 5_000,
  ) {}

  get kind(): 'redis' | 'memory' {
    return this.store.kind;
  }

  /** Builds the cache and starts watching for a store that lost its content. */
  async start(): Promise<void> {
    await this.rebuild();
    this.timer = setInterval(() => void this.ensureBuilt(), this.checkIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.rebuilding?.catch(() => undefined);
    await this.store.close();
  }

  status(): CacheStatus {
    return { kind: this.store.kind, healthy: this.healthy };
  }

  /** Rebuilds when the store is reachable but empty (restarted, flushed). Safe to call at any time. */
  async ensureBuilt(): Promise<void> {
    const built = await this.attempt(() => this.store.isBuilt());
    if (built === false) await this.rebuild();
  }

  /** Reloads everything from the database; concurrent calls share one rebuild. */
  rebuild(): Promise<void> {
    this.rebuilding ??= (async () => {
      try {
        const snapshot = await this.loadSnapshot();
        const done = await this.written(this.attempt(() => this.store.replaceAll(snapshot).then(() => true)));
        if (done) this.logger.info({ operators: snapshot.operators.length, sessions: snapshot.sessions.length }, 'cache rebuilt from the database');
      } finally {
        this.rebuilding = null;
      }
    })();
    return this.rebuilding;
  }

  async ping(): Promise<number | null> {
    return this.attempt(() => this.store.ping());
  }

  /** Null when the store is down or has lost its content (a rebuild is then started). */
  async getOperators(): Promise<CachedOperator[] | null> {
    const operators = await this.attempt(() => this.store.getOperators());
    if (operators === null && this.healthy) void this.rebuild();
    return operators;
  }

  /**
   * getOperators(), reused for OPERATORS_MEMO_MS, with concurrent callers sharing one read. For what is shown
   * to people only (GET /api/operators/available): it may miss another process's writes of the last window,
   * so no routing decision may use it. The list is shared between callers: never mutate it.
   */
  getOperatorsForDisplay(): Promise<CachedOperator[] | null> {
    if (this.operatorsMemo && Date.now() - this.operatorsMemo.at < OPERATORS_MEMO_MS) return Promise.resolve(this.operatorsMemo.operators);
    this.operatorsRead ??= this.readOperatorsForDisplay();
    return this.operatorsRead;
  }

  private async readOperatorsForDisplay(): Promise<CachedOperator[] | null> {
    const generation = this.generation;
    try {
      const operators = await this.getOperators();
      if (operators !== null && generation === this.generation) this.operatorsMemo = { operators, at: Date.now() };
      return operators;
    } finally {
      // A write meanwhile has already let go of this read (and a newer one may have started): leave that one be.
      if (generation === this.generation) this.operatorsRead = null;
    }
  }

  getOperator(id: number): Promise<CachedOperator | null> {
    return this.attempt(() => this.store.getOperator(id));
  }

  async putOperator(operator: CachedOperator): Promise<void> {
    await this.written(this.attempt(() => this.store.putOperator(operator)));
  }

  async removeOperator(id: number): Promise<void> {
    await this.written(this.attempt(() => this.store.removeOperator(id)));
  }

  getSessionOperator(sessionId: string): Promise<number | null> {
    return this.attempt(() => this.store.getSessionOperator(sessionId));
  }

  async setSessionOperator(sessionId: string, operatorId: number | null): Promise<void> {
    await this.attempt(() => this.store.setSessionOperator(sessionId, operatorId));
  }

  getRotation(): Promise<number | null> {
    return this.attempt(() => this.store.getRotation());
  }

  async setRotation(operatorId: number): Promise<void> {
    await this.attempt(() => this.store.setRotation(operatorId));
  }

  /**
   * Drops the operators memo once a write has landed (or failed), so the next read in this process sees it.
   * Dropping it only before the write would let a read racing the write memoise the old list.
   */
  private async written<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.generation++;
      this.operatorsMemo = null;
      this.operatorsRead = null;
    }
  }

  /** Runs one store call; a failure is logged once per outage and answered with null. */
  private async attempt<T>(call: () => Promise<T>): Promise<T | null> {
    try {
      const result = await call();
      if (!this.healthy) {
        this.healthy = true;
        this.logger.info({ cache: this.store.kind }, 'cache reachable again; rebuilding it from the database');
        // Writes were dropped while it was down, so its content is stale even if it kept it.
        void this.rebuild();
      }
      return result;
    } catch (error) {
      if (this.healthy) {
        this.healthy = false;
        this.logger.warn({ cache: this.store.kind, err: (error as Error).message }, 'cache unreachable; serving from the database');
      }
      return null;
    }
  }
}
