import type { CacheSnapshot, CacheStore, CachedOperator } from './CacheStore';

/** The in-process cache: one server process, nothing else to run. */
export class MemoryStore implements CacheStore {
  readonly kind = 'memory' as const;
  private operators = new Map<number, CachedOperator>();
  private sessions = new Map<string, number>();
  private built = false;
  private rotation: number | null = null;

  async getOperators(): Promise<CachedOperator[] | null> {
    return this.built ? [...this.operators.values()] : null;
  }

  async getOperator(id: number): Promise<CachedOperator | null> {
    return this.operators.get(id) ?? null;
  }

  async putOperator(operator: CachedOperator): Promise<void> {
    const current = this.operators.get(operator.id);
    if (!current || current.version < operator.version) this.operators.set(operator.id, operator);
  }

  async removeOperator(id: number): Promise<void> {
    this.operators.delete(id);
  }

  async getSessionOperator(sessionId: string): Promise<number | null> {
    return this.sessions.get(sessionId) ?? null;
  }

  async setSessionOperator(sessionId: string, operatorId: number | null): Promise<void> {
    if (operatorId === null) this.sessions.delete(sessionId);
    else this.sessions.set(sessionId, operatorId);
  }

  async getRotation(): Promise<number | null> {
    return this.rotation;
  }

  async setRotation(operatorId: number): Promise<void> {
    this.rotation = operatorId;
  }

  async replaceAll(snapshot: CacheSnapshot): Promise<void> {
    this.operators = new Map(snapshot.operators.map((o) => [o.id, o]));
    this.sessions = new Map(snapshot.sessions.map((s) => [s.sessionId, s.operatorId]));
    this.built = true;
  }

  async isBuilt(): Promise<boolean> {
    return this.built;
  }

  async ping(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.operators.clear();
    this.sessions.clear();
  }
}
