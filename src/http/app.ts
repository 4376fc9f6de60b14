import express, { type Express, type RequestHandler } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import type { Config } from '../../config';
import type { Logger } from '../observability/logger';
import type { HealthService } from '../../services/health';
import { errorHandler, notFound } from '../../middleware/errorHandler';
import { healthRouter } from '../../routes/health';
import { metricsRouter, type MetricsDeps } from '../../routes/metrics';
import { requestLog } from '../../middleware/requestLog';
import type { RouteContext } from '../../routes/context';
import { apiGroups } from '../../routes';
import { withDocs } from '../../routes/docs/docs';
import { mountGroup } from '../../routes/registry';
import { pagesRouter } from '../../routes/pages';
import { webPaths } from '../../config/webPaths';
import { corsOrigin } from './cors';

export interface AppDeps {
  config: Config;
  logger: Logger;
  health: HealthService;
  isAccepting: () => boolean;
  routes: RouteContext;
  /** `record` counts and times each request; `endpoint` serves GET /metrics. */
  metrics: { record: RequestHandler; endpoint: MetricsDeps };
}

export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Whose X-Forwarded-For names the client: nobody's unless TRUST_PROXY says (a spoofed header must not pick a
  // rate-limit bucket).
  app.set('trust proxy', config.trustProxy);
  // No ETag per API answer: nothing in the contract is a conditional GET, and hashing every body costs CPU
  // on the hottest reads. A function rather than `false`: res.sendFile and express.static (the pages) still
  // make theirs, since the setting stays enabled.
  app.set('etag', () => undefined);

  app.use(requestLog(logger));
  app.use(deps.metrics.record);
  app.use(
    helmet({
      // The server is often run on plain HTTP (localhost, behind a TLS proxy); never rewrite its URLs to https.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      // The widget script and its API are loaded by other sites (CORS_ORIGINS decides who may call the API).
      crossOriginResourcePolicy: { policy: 'cross-origin' },
    }),
  );
  app.use(cors({ origin: corsOrigin(config.corsOrigins), credentials: false, exposedHeaders: ['Retry-After', 'X-Request-Id'] }));
  // API answers carry tokens and customers' words: no browser or proxy keeps them (an attachment's own route says
  // `private` instead, as the contract asks).
  app.use('/api', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(express.json({ limit: config.bodyLimitBytes }));

  // withDocs adds GET /api/docs(.json): the OpenAPI document of every group, itself included.
  for (const group of withDocs(apiGroups(deps.routes))) app.use(group.prefix, mountGroup(group, deps.routes.auth));
  // After the API: mounted at '/', the health router would otherwise be entered by every API request.
  app.use(healthRouter(deps));
  app.use(metricsRouter(deps.metrics.endpoint));
  // The widget and console pages last: nothing of theirs may shadow an API or service route.
  app.use(pagesRouter(webPaths().out));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
