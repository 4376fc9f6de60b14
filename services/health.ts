import type { Db } from '../models/db';
import type { StateCache } from './cache/StateCache';

/** What GET /ready reports of each dependency. */
export interface DependencyState {
  ok: boolean;
  latencyMs: number | null;
}

export interface Readiness {
  database: DependencyState & { dialect: Db['dialect'] };
  cache: DependencyState & { kind: StateCache['kind'] };
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** Whether the database and the cache answer now, and how fast: one round trip each, never a hang. */
export class HealthService {
  constructor(
    private readonly db: Db,
    private readonly cache: StateCache,
  ) {}

  async readiness(): Promise<Readiness> {
    const started = performance.now();
    const database = await this.db.ping().then(
      () => ({ ok: true, dialect: this.db.dialect, latencyMs: round(performance.now() - started) }),
      () => ({ ok: false, dialect: this.db.dialect, latencyMs: null }),
    );
    const latency = await this.cache.ping();
    return { database, cache: { ok: latency !== null, kind: this.cache.kind, latencyMs: latency === null ? null : round(latency) } };
  }
}
