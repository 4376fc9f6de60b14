import { Router } from 'express';
import type { Db } from '../models/db';
import type { StateCache } from '../services/cache/StateCache';
import { sendData } from '../middleware/responseFormatter';
import { ServiceUnavailableError } from '../services/errors';

export interface HealthDeps {
  db: Db;
  cache: StateCache;
  /** False once shutdown has begun, so load balancers stop sending traffic first. */
  isAccepting: () => boolean;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

export function healthRouter({ db, cache, isAccepting }: HealthDeps): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    sendData(res, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  router.get('/ready', async (_req, res) => {
    const started = performance.now();
    const database = await db.ping().then(
      () => ({ ok: true, dialect: db.dialect, latencyMs: round(performance.now() - started) }),
      () => ({ ok: false, dialect: db.dialect, latencyMs: null }),
    );
    const cacheLatency = await cache.ping();
    const cacheState = { ok: cacheLatency !== null, kind: cache.kind, latencyMs: cacheLatency === null ? null : round(cacheLatency) };
    const problems = [
      ...(isAccepting() ? [] : [{ field: 'server', message: 'shutting down' }]),
      ...(database.ok ? [] : [{ field: 'database', message: `${db.dialect} unreachable` }]),
      ...(cacheState.ok ? [] : [{ field: 'cache', message: `${cache.kind} unreachable; serving from the database` }]),
    ];
    if (problems.length > 0) {
      const error = new ServiceUnavailableError('Not ready');
      res.status(503).json({ success: false, error: { ...error.toBody(), details: problems }, data: { database, cache: cacheState } });
      return;
    }
    sendData(res, { status: 'ready', database, cache: cacheState });
  });

  return router;
}
