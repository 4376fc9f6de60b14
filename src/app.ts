import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Config } from '../config';
import type { Logger } from './logger';
import type { Db } from '../models/db';
import type { StateCache } from '../services/cache/StateCache';
import { errorHandler, notFound } from '../middleware/errorHandler';
import { healthRouter } from '../routes/health';
import { metricsRouter, type MetricsDeps } from '../routes/metrics';
import { runInRequestContext } from './requestContext';
import type { RouteContext } from '../routes/context';
import { apiGroups } from '../routes';
import { withDocs } from '../routes/docs';
import { mountGroup } from '../routes/registry';
import { pagesRouter } from '../routes/pages';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Db;
  cache: StateCache;
  isAccepting: () => boolean;
  routes: RouteContext;
  /** `record` counts and times each request; `endpoint` serves GET /metrics. */
  metrics: { record: RequestHandler; endpoint: MetricsDeps };
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** CORS_ORIGINS unset: only same-origin callers (their requests carry no CORS check anyway). */
export function corsOrigin(config: Config): cors.CorsOptions['origin'] {
  if (config.corsOrigins === null) return false;
  if (config.corsOrigins.includes('*')) return true;
  return config.corsOrigins;
}

export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // 503 is an expected answer (not ready, shutting down), not a failure of the request.
      customLogLevel: (_req, res, error) => (res.statusCode === 503 ? 'warn' : error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/health' },
      // One short line per request: no headers (they carry tokens), no bodies (they carry messages).
      // Our serializers read the raw req/res themselves: wrapping them would first copy every header, per request.
      wrapSerializers: false,
      serializers: {
        req: (req: { id: unknown; method: string; url: string; originalUrl?: string }) => ({ id: req.id, method: req.method, url: (req.originalUrl ?? req.url).split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  // Everything logged while serving the request (services included) carries its id.
  app.use((req, _res, next) => runInRequestContext({ reqId: String(req.id) }, next));
  app.use(deps.metrics.record);
  app.use(
    helmet({
      // The server is often run on plain HTTP (localhost, behind a TLS proxy); never rewrite its URLs to https.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      // The widget script and its API are loaded by other sites (CORS_ORIGINS decides who may call the API).
      crossOriginResourcePolicy: { policy: 'cross-origin' },
    }),
  );
  app.use(cors({ origin: corsOrigin(config), credentials: false, exposedHeaders: ['Retry-After', 'X-Request-Id'] }));
  app.use(express.json({ limit: config.bodyLimitBytes }));

  // withDocs adds GET /api/docs(.json): the OpenAPI document of every group, itself included.
  for (const group of withDocs(apiGroups(deps.routes))) app.use(group.prefix, mountGroup(group, deps.routes.auth));
  // After the API: mounted at '/', the health router would otherwise be entered by every API request.
  app.use(healthRouter(deps));
  app.use(metricsRouter(deps.metrics.endpoint));
  // The widget and console pages last: nothing of theirs may shadow an API or service route.
  app.use(pagesRouter());

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
