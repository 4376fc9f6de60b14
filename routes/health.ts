import { Router } from 'express';
import { sendData } from '../middleware/responseFormatter';
import { ServiceUnavailableError } from '../services/errors';
import type { HealthService } from '../services/health';

export interface HealthDeps {
  health: HealthService;
  /** False once shutdown has begun, so load balancers stop sending traffic first. */
  isAccepting: () => boolean;
}

export function healthRouter({ health, isAccepting }: HealthDeps): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    sendData(res, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  router.get('/ready', async (_req, res) => {
    const { database, cache: cacheState } = await health.readiness();
    const problems = [
      ...(isAccepting() ? [] : [{ field: 'server', message: 'shutting down' }]),
      ...(database.ok ? [] : [{ field: 'database', message: `${database.dialect} unreachable` }]),
      ...(cacheState.ok ? [] : [{ field: 'cache', message: `${cacheState.kind} unreachable; serving from the database` }]),
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
