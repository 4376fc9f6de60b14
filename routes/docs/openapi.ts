import fs from 'node:fs';
import path from 'node:path';
import type { AccessRule } from '../../middleware/auth';
import type { HttpMethod, RouteGroup, RouteSpec } from '../registry';
import { SCHEMAS } from './components';
import { fieldsOf, parametersOf, requestBodyOf } from './inputs';
import { DEFAULT_RESPONSE, failureComponents, failureResponses, successResponses } from './responses';
import { SERVICE_ENDPOINTS, SERVICE_TAG } from './serviceEndpoints';
import type { OpenApiDocument, OpenApiOperation, ServiceEndpoint } from './types';

/**
 * The OpenAPI 3.0 document, assembled from the same route groups the app mounts (so it cannot drift from them),
 * plus the service endpoints that live outside the registry (/health, /ready, /metrics, the pages). The parts
 * live beside this file: components.ts (the contract's shapes), inputs.ts (parameters and bodies from the
 * validation schemas), responses.ts (success envelopes and failures), serviceEndpoints.ts.
 */

export type { OpenApiDocument, OpenApiOperation, OpenApiParameter, ServiceEndpoint } from './types';
export { SERVICE_ENDPOINTS, SERVICE_TAG } from './serviceEndpoints';

/** PROTOCOL.md's "who" column, in words, from the route's access rule. */
export function describeAccess(rule: AccessRule): string {
  switch (rule.kind) {
    case 'public':
      return 'Anyone (no token needed)';
    case 'operator':
      return 'Any operator or admin (operator token)';
    case 'admin':
      return 'Admins only (operator token with role admin)';
    case 'operatorOrSessionCustomer':
      return `Any operator, or the customer of the session named by {${rule.param}} (its customer token)`;
    case 'sessionCustomer':
      return `Only the customer of the session named by {${rule.param}} (its customer token)`;
    case 'signedLinkOrToken':
      return 'Anyone holding a signed link (exp and sig), or a token that may read the session: its customer, any operator';
  }
}

/** Express `/sessions/:sessionId` → OpenAPI `/sessions/{sessionId}`, joined to its prefix, no trailing slash. */
export function openApiPath(prefix: string, routePath: string): string {
  const joined = `${prefix}${routePath}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/:(\w+)/g, '{$1}');
}

function operationId(method: HttpMethod, apiPath: string): string {
  const words = apiPath
    .replace(/[{}]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1));
  return method + words.join('');
}

function operation(group: RouteGroup, route: RouteSpec, apiPath: string): OpenApiOperation {
  const { fields, rules } = fieldsOf(route.schema);
  const who = describeAccess(route.access);
  const op: OpenApiOperation = {
    operationId: operationId(route.method, apiPath),
    summary: route.summary,
    description: `Who may call it: ${who}.`,
    tags: [group.tag],
    security: securityOf(route.access),
    responses: { ...successResponses(route.responds), ...failureResponses(route, fields), default: DEFAULT_RESPONSE },
    'x-access': who,
  };
  const parameters = parametersOf(fields);
  if (parameters.length > 0) op.parameters = parameters;
  const body = requestBodyOf(fields, rules, route.multipart ? fieldsOf(route.multipart.schema).fields : undefined);
  if (body) op.requestBody = body;
  return op;
}

/** No token for a public route; a token, or a signed link instead, for a file; a token for everything else. */
function securityOf(rule: AccessRule): OpenApiOperation['security'] {
  if (rule.kind === 'public') return [];
  if (rule.kind === 'signedLinkOrToken') return [{ signedLink: [] }, { bearerAuth: [] }];
  return [{ bearerAuth: [] }];
}

function serviceOperation(endpoint: ServiceEndpoint): OpenApiOperation {
  const who = endpoint.access ?? describeAccess({ kind: 'public' });
  return {
    operationId: operationId(endpoint.method, endpoint.path),
    summary: endpoint.summary,
    description: `Who may call it: ${who}.`,
    tags: [SERVICE_TAG],
    security: [],
    responses: { ...endpoint.responses, default: DEFAULT_RESPONSE },
    'x-access': who,
  };
}

function packageVersion(): string {
  // routes/docs/ under jest, dist/routes/docs/ once built: look upwards for the project's package.json.
  for (let dir = path.resolve(__dirname, '..'); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.version && pkg.name === 'live-chat-server') return pkg.version;
    } catch {
      // not here; try the next folder up
    }
  }
  return '0.0.0';
}

const TAG_DESCRIPTIONS: Record<string, string> = {
  service: 'Health, readiness and metrics of the process, and the pages it serves',
  auth: 'Operator login and the calling operator',
  chat: 'Chat sessions and their messages',
  operators: 'Operators, their status and load, and routing',
  users: 'Customers across sessions',
  docs: 'This document, as JSON or as a browsable page',
};

/** The OpenAPI 3.0 document of every route group given, plus the service endpoints. */
export function buildOpenApi(groups: readonly RouteGroup[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const add = (apiPath: string, method: HttpMethod, op: OpenApiOperation): void => {
    const entry = (paths[apiPath] ??= {});
    if (entry[method]) throw new Error(`OpenAPI: ${method.toUpperCase()} ${apiPath} is registered twice`);
    entry[method] = op;
  };
  for (const endpoint of SERVICE_ENDPOINTS) add(endpoint.path, endpoint.method, serviceOperation(endpoint));
  for (const group of groups) {
    for (const route of group.routes) {
      const apiPath = openApiPath(group.prefix, route.path);
      add(apiPath, route.method, operation(group, route, apiPath));
    }
  }
  const tagNames = [SERVICE_TAG, ...new Set(groups.map((g) => g.tag))];
  return {
    openapi: '3.0.3',
    info: {
      title: 'Live chat server API',
      version: packageVersion(),
      description:
        'REST API of the live customer-service chat server. Every answer uses the envelope ' +
        '`{ success: true, data, meta? }` or `{ success: false, error: { code, message, details? } }`. ' +
        'Operators authenticate with the token from POST /api/auth/login; customers with the customerToken ' +
        'from POST /api/chat/sessions, which opens that one session only.',
    },
    servers: [{ url: '/' }],
    tags: tagNames.map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? name })),
    paths,
    components: {
      schemas: SCHEMAS,
      responses: failureComponents(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An operator token (a JWT from POST /api/auth/login) or a customer token (from POST /api/chat/sessions)',
        },
        signedLink: {
          type: 'apiKey',
          in: 'query',
          name: 'sig',
          description: "A file's signed link as given in Attachment.url or thumbnailUrl: sig with its exp, valid ATTACHMENT_URL_TTL_SECONDS",
        },
      },
    },
  };
}
