import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Authenticator } from '../services/access';
import { authorize, type AccessRule } from '../middleware/auth';
import { validate, type Schema } from '../middleware/validation';
import { recordRoutePattern } from '../middleware/routePattern';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One endpoint: who may call it, what input it takes, and the handler that calls one service method. */
export interface RouteSpec {
  method: HttpMethod;
  /** Express path below the router's mount point, e.g. `/sessions/:sessionId`. */
  path: string;
  summary: string;
  access: AccessRule;
  schema?: Schema;
  /** Extra middleware run after authorization and before validation (rate limits). */
  before?: RequestHandler[];
  /** Success status and a short description of `data`, for the OpenAPI document. */
  responds: { status: number; data: string };
  handler: (req: Request, res: Response) => Promise<void>;
}

export interface RouteGroup {
  /** Where the group is mounted, e.g. `/api/chat`. */
  prefix: string;
  tag: string;
  routes: RouteSpec[];
}

/** Mounts a group; refuses at start-up any route that does not say who may call it. */
export function mountGroup(group: RouteGroup, auth: Authenticator): Router {
  const router = Router();
  for (const route of group.routes) {
    if (!route.access) throw new Error(`route ${route.method.toUpperCase()} ${group.prefix}${route.path} has no access rule`);
    const pattern = `${group.prefix}${route.path === '/' ? '' : route.path}`;
    const chain: RequestHandler[] = [recordRoutePattern(pattern), authorize(auth, route.access), ...(route.before ?? [])];
    if (route.schema) chain.push(validate(route.schema));
    chain.push(async (req, res, next) => {
      try {
        await route.handler(req, res);
      } catch (error) {
        next(error);
      }
    });
    router[route.method](route.path, ...chain);
  }
  return router;
}
