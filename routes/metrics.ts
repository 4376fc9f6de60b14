import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { UnauthenticatedError } from '../services/errors';

export interface MetricsDeps {
  /** The Prometheus text of the deployment (every process's figures, when several share Redis). */
  render(): Promise<string>;
  contentType: string;
  /** Set: scrapers send `Authorization: Bearer <token>`. */
  token?: string;
}

/** Equal-length digests, so the comparison takes the same time whatever the token given. */
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** GET /metrics: Prometheus text; open unless METRICS_TOKEN is set. */
export function metricsRouter({ render, contentType, token }: MetricsDeps): Router {
  const router = Router();
  router.get('/metrics', async (req, res, next) => {
    try {
      if (token !== undefined) {
        const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        if (!timingSafeEqual(digest(given), digest(token))) throw new UnauthenticatedError('A valid metrics token is required');
      }
      const body = await render();
      res.type(contentType).send(body);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
