import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Authenticator } from '../services/access';
import { UnsupportedMediaTypeError } from '../services/errors';
import { authorize, type AccessRule } from '../middleware/auth';
import { validate, type Schema } from '../middleware/validation';
import { recordRoutePattern } from '../middleware/routePattern';
import type { ShapeName } from './docs/shapes';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * The envelope's `data` on success: a contract shape (a component of the OpenAPI document, routes/docs/shapes.ts),
 * a list of one, or a fixed object such as `{ loggedOut: true }`.
 */
export type DataShape = ShapeName | { arrayOf: ShapeName } | { constant: Record<string, boolean | number | string> };

/** What a route answers, for the OpenAPI document (routes/docs/); the handler decides, this describes it. */
export interface Responds {
  status: number;
  schema: DataShape;
  /** When it answers `status`, if more is to be said than the shape's name. */
  description?: string;
  /** Other success statuses with the same data, and when each is answered (e.g. 200 for an idempotent retry). */
  also?: Array<{ status: number; description: string }>;
  /**
   * Failures the services answer, status → when, beyond those the document derives from the route itself (401
   * and 403 from a token, 404 from its access rule or path, 400 from its schema, 413 from a body, 429 from a rate
   * limit, 503 and the default 500 always). A derived status listed here gets this more precise description.
   */
  fails?: Record<number, string>;
}

/** Free text instead of a shape, for an answer that is no contract shape: routes/docs/docs.ts describes its own. */
export interface RespondsText {
  status: number;
  data: string;
}

/** A file's bytes instead of the envelope (the attachment downloads): `file` says what they are. */
export interface RespondsFile {
  status: number;
  file: string;
}

/** One endpoint: who may call it, what input it takes, and the handler that calls one service method. */
export interface RouteSpec {
  method: HttpMethod;
  /** Express path below the router's mount point, e.g. `/sessions/:sessionId`. */
  path: string;
  summary: string;
  access: AccessRule;
  schema?: Schema;
  /** Extra middleware run after authorization and before validation (rate limits, a body parser of its own). */
  before?: RequestHandler[];
  /** The body types it takes, when not JSON (the inbound mail hook: message/rfc822); any other → 415. */
  bodyTypes?: string[];
  /**
   * The route also takes `multipart/form-data`: `parse` reads it (after `before`) into req.body and req.upload,
   * and `schema` validates its fields instead of the JSON body's.
   */
  multipart?: { parse: RequestHandler; schema: Schema };
  /** What it answers: success status, data shape and failures, for the OpenAPI document. */
  responds: Responds | RespondsText | RespondsFile;
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
    const bodyTypes = route.bodyTypes ?? (route.multipart ? ['application/json', 'multipart/form-data'] : ['application/json']);
    const chain: RequestHandler[] = [recordRoutePattern(pattern), authorize(auth, route.access), acceptBodies(bodyTypes), ...(route.before ?? [])];
    if (route.multipart) {
      const json = route.schema ? validate(route.schema) : null;
      const multipart = validate(route.multipart.schema);
      chain.push(route.multipart.parse, (req, res, next) => (req.upload ? multipart(req, res, next) : json ? json(req, res, next) : next()));
    } else if (route.schema) {
      chain.push(validate(route.schema));
    }
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

/** A body of any other type than these is refused with 415 before it is read (a request without a body passes). */
function acceptBodies(types: string[]): RequestHandler {
  return (req, _res, next) => {
    // type-is: null when there is no body, false when it is of none of these types. An empty body (Content-Length:
    // 0, which clients send on a bare POST) is none.
    if (req.headers['content-length'] !== '0' && req.is(types) === false) next(new UnsupportedMediaTypeError(`The body must be ${types.join(' or ')}`));
    else next();
  };
}
