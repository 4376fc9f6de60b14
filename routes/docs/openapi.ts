import fs from 'node:fs';
import path from 'node:path';
import type { ParamSchema, Schema } from 'express-validator';
import type { AccessRule } from '../../middleware/auth';
import { MESSAGE_TYPES, OPERATOR_ROLES, OPERATOR_STATUSES, SESSION_STATUSES, type SessionEventType } from '../../services/contract';
import type { ErrorCode } from '../../services/errors';
import type { HttpMethod, RouteGroup, RouteSpec } from '../registry';

/**
 * The OpenAPI 3.0 document, built from the same route groups the app mounts (so it cannot drift from them),
 * plus the service endpoints that live outside the registry (/health, /ready, /metrics).
 */

type Json = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: Json;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; description?: string; content: { 'application/json': { schema: Json } } };
  responses: Record<string, Json>;
  /** Who may call it, in words (the access rule); also shown on the HTML page. */
  'x-access': string;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json>; securitySchemes: Record<string, Json> };
}

/** An endpoint the app mounts outside the route registry, described by hand (the docs test keeps it honest). */
export interface ServiceEndpoint {
  method: HttpMethod;
  path: string;
  summary: string;
  responses: Record<string, Json>;
  /** Who may call it, when not simply anyone. */
  access?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Components: PROTOCOL.md's shapes and envelopes.

const ERROR_CODES: readonly ErrorCode[] = [
  'VALIDATION_ERROR',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'SESSION_CLOSED',
  'ALREADY_ASSIGNED',
  'NO_OPERATOR_AVAILABLE',
  'OPERATOR_AT_CAPACITY',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
];

/** A Record so that a new event type that is not listed here fails the type check. */
const SESSION_EVENT_TYPES: Record<SessionEventType, true> = {
  created: true,
  queued: true,
  assigned: true,
  transferred: true,
  requeued: true,
  unassigned: true,
  closed: true,
  rated: true,
};

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const time = (nullable = false): Json => ({ type: 'string', format: 'date-time', ...(nullable ? { nullable: true } : {}) });
const str = (nullable = false): Json => ({ type: 'string', ...(nullable ? { nullable: true } : {}) });
const int = (nullable = false): Json => ({ type: 'integer', ...(nullable ? { nullable: true } : {}) });
const object = (properties: Record<string, Json>, optional: string[] = []): Json => ({
  type: 'object',
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  properties,
});

const SCHEMAS: Record<string, Json> = {
  Session: object(
    {
      id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: [...SESSION_STATUSES] },
      customerId: str(true),
      customerName: str(true),
      customerEmail: str(true),
      department: str(true),
      metadata: { type: 'object', nullable: true, additionalProperties: true },
      operatorId: int(true),
      operator: { ...object({ id: int(), name: str() }), nullable: true },
      createdAt: time(),
      assignedAt: time(true),
      closedAt: time(true),
      closedBy: { type: 'string', enum: ['customer', 'operator', 'system'], nullable: true },
      closeReason: str(true),
      lastMessageAt: time(true),
      rating: { type: 'integer', minimum: 1, maximum: 5, nullable: true },
      ratingComment: str(true),
      queuePosition: { type: 'integer', minimum: 1, description: 'Place in the queue (1 = next); only while waiting' },
    },
    ['queuePosition'],
  ),
  Message: object({
    id: { type: 'integer', description: 'Grows with every stored message: a cursor for sync and paging' },
    sessionId: { type: 'string', format: 'uuid' },
    senderType: { type: 'string', enum: ['customer', 'operator', 'system'] },
    senderId: str(true),
    type: { type: 'string', enum: [...MESSAGE_TYPES] },
    content: str(),
    clientMessageId: str(true),
    createdAt: time(),
    readAt: time(true),
  }),
  Operator: object({
    id: int(),
    name: str(),
    email: { type: 'string', format: 'email' },
    role: { type: 'string', enum: [...OPERATOR_ROLES] },
    status: { type: 'string', enum: [...OPERATOR_STATUSES] },
    maxConcurrentSessions: int(),
    departments: { type: 'array', items: { type: 'string' } },
    activeSessions: int(),
    lastAssignedAt: time(true),
    lastSeenAt: time(true),
  }),
  SessionEvent: object({
    id: int(),
    type: { type: 'string', enum: Object.keys(SESSION_EVENT_TYPES) },
    operatorId: int(true),
    detail: { type: 'object', nullable: true, additionalProperties: true, description: 'e.g. strategy and reason of an assignment' },
    createdAt: time(),
  }),
  Error: object({
    success: { type: 'boolean', enum: [false] },
    error: object(
      {
        code: { type: 'string', enum: [...ERROR_CODES] },
        message: str(),
        details: { type: 'array', items: object({ field: str(), message: str() }), description: 'One entry per bad field' },
      },
      ['details'],
    ),
  }),
};

const ERROR_RESPONSES: Record<number, { name: string; description: string }> = {
  400: { name: 'ValidationError', description: 'VALIDATION_ERROR: malformed JSON, wrong types, unknown enum, out of range (details lists each field)' },
  401: { name: 'Unauthenticated', description: 'UNAUTHENTICATED: missing, malformed, expired or wrongly signed token' },
  403: { name: 'Forbidden', description: 'FORBIDDEN: authenticated, but not allowed on this resource' },
  404: { name: 'NotFound', description: 'NOT_FOUND: unknown resource (also a session the caller may not know exists)' },
  409: { name: 'Conflict', description: 'SESSION_CLOSED, ALREADY_ASSIGNED, NO_OPERATOR_AVAILABLE, OPERATOR_AT_CAPACITY or CONFLICT: state conflict' },
  413: { name: 'PayloadTooLarge', description: 'PAYLOAD_TOO_LARGE: body over the configured limit' },
  429: { name: 'RateLimited', description: 'RATE_LIMITED: too many requests; see Retry-After' },
  503: { name: 'ServiceUnavailable', description: 'SERVICE_UNAVAILABLE: database (or required Redis) unreachable' },
};

function errorResponseComponents(): Record<string, Json> {
  const responses: Record<string, Json> = {};
  for (const [status, { name, description }] of Object.entries(ERROR_RESPONSES)) {
    responses[name] = {
      description,
      content: { 'application/json': { schema: ref('Error') } },
      ...(status === '429' ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
    };
  }
  return responses;
}

const errorRef = (status: number): Json => ({ $ref: `#/components/responses/${ERROR_RESPONSES[status]?.name}` });

/** `{ success: true, data, meta? }` around a data schema. */
function envelope(data: Json): Json {
  return {
    type: 'object',
    required: ['success', 'data'],
    properties: {
      success: { type: 'boolean', enum: [true] },
      data,
      meta: { type: 'object', additionalProperties: true, description: 'Paging hints, e.g. nextCursor or hasMore' },
    },
  };
}

/**
 * `responds.data` is a short description: `Session`, `Operator[]`, or `{ session, customerToken }`. Names of
 * components become references; field lists become objects whose fields named after a component refer to it.
 */
export function dataSchema(data: string): Json {
  const text = data.trim();
  const component = (name: string): string | undefined => Object.keys(SCHEMAS).find((key) => key.toLowerCase() === name.toLowerCase());
  const single = /^(\w+)(\[\])?$/.exec(text);
  if (single?.[1] && component(single[1])) {
    const target = ref(component(single[1]) as string);
    return single[2] ? { type: 'array', items: target } : target;
  }
  const fields = /^\{(.*)\}$/.exec(text);
  if (fields?.[1] !== undefined) {
    const properties: Record<string, Json> = {};
    for (const part of fields[1].split(',')) {
      const [rawName, rawValue] = part.split(':').map((s) => s.trim());
      if (!rawName) continue;
      const name = component(rawName);
      if (name) properties[rawName] = ref(name);
      else if (rawValue === 'true' || rawValue === 'false') properties[rawName] = { type: 'boolean', enum: [rawValue === 'true'] };
      else properties[rawName] = {};
    }
    return { type: 'object', description: text, required: Object.keys(properties), properties };
  }
  return { description: text };
}

// ---------------------------------------------------------------------------------------------------------
// express-validator schema → parameters and request body.

type Location = 'path' | 'query' | 'body';

interface FieldDoc {
  name: string;
  location: Location;
  required: boolean;
  schema: Json;
  description?: string;
}

/** A validator's options: `{ options }` in the schema (or `true` for no options). */
function optionsOf(field: ParamSchema, key: string): unknown {
  const entry = (field as Record<string, unknown>)[key];
  return entry && typeof entry === 'object' ? (entry as { options?: unknown }).options : undefined;
}

const has = (field: ParamSchema, key: string): boolean => Boolean((field as Record<string, unknown>)[key]);

/** Messages that only restate the type or presence (already in the schema) are left out of the description. */
const TRIVIAL_MESSAGES = /^(must be a string|must be a number|is required|must be an object|must be true or false)$/;

function describeField(field: ParamSchema): string | undefined {
  const messages = new Set<string>();
  for (const [key, entry] of Object.entries(field as Record<string, unknown>)) {
    if (key === 'in' || key === 'optional' || !entry || typeof entry !== 'object') continue;
    const message = (entry as { errorMessage?: unknown }).errorMessage;
    if (typeof message === 'string' && !TRIVIAL_MESSAGES.test(message)) messages.add(message);
  }
  return messages.size > 0 ? [...messages].join('; ') : undefined;
}

function fieldType(field: ParamSchema): Json {
  const range = (options: unknown, lower: string, upper: string): Json => {
    const o = (options ?? {}) as { min?: number; max?: number };
    return { ...(o.min !== undefined ? { [lower]: o.min } : {}), ...(o.max !== undefined ? { [upper]: o.max } : {}) };
  };
  if (has(field, 'isInt')) return { type: 'integer', ...range(optionsOf(field, 'isInt'), 'minimum', 'maximum') };
  if (has(field, 'isBoolean')) return { type: 'boolean' };
  if (has(field, 'isArray')) return { type: 'array', items: {}, ...range(optionsOf(field, 'isArray'), 'minItems', 'maxItems') };
  if (has(field, 'isObject')) return { type: 'object', additionalProperties: true };
  if (has(field, 'isIn')) {
    const options = optionsOf(field, 'isIn');
    const values = Array.isArray(options) && Array.isArray(options[0]) ? (options[0] as unknown[]) : [];
    return { type: 'string', enum: [...values] };
  }
  const schema: Json = { type: 'string' };
  if (has(field, 'isUUID')) schema.format = 'uuid';
  else if (has(field, 'isEmail')) schema.format = 'email';
  else if (has(field, 'isISO8601')) schema.format = 'date-time';
  if (has(field, 'isLength')) Object.assign(schema, range(optionsOf(field, 'isLength'), 'minLength', 'maxLength'));
  const pattern = optionsOf(field, 'matches');
  if (pattern instanceof RegExp) schema.pattern = pattern.source;
  else if (has(field, 'isHexadecimal')) schema.pattern = '^[0-9a-fA-F]+$';
  return schema;
}

function locationOf(field: ParamSchema): Location {
  const where = Array.isArray(field.in) ? field.in[0] : field.in;
  if (where === 'params') return 'path';
  if (where === 'query') return 'query';
  return 'body';
}

export function fieldsOf(schema: Schema | undefined): { fields: FieldDoc[]; rules: string[] } {
  const fields: FieldDoc[] = [];
  const rules: string[] = [];
  for (const [name, field] of Object.entries(schema ?? {})) {
    if (name.startsWith('_')) {
      // Cross-field rules (e.g. "exactly one of a or b") are not fields; they go into the body's description.
      const rule = describeField(field);
      if (rule) rules.push(rule);
      continue;
    }
    const location = locationOf(field);
    fields.push({
      name,
      location,
      required: location === 'path' || !field.optional,
      schema: fieldType(field),
      description: describeField(field),
    });
  }
  return { fields, rules };
}

// ---------------------------------------------------------------------------------------------------------
// Operations.

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

const WRITES: readonly HttpMethod[] = ['post', 'put', 'patch', 'delete'];

/** Which failure statuses a route can answer, from what the registry knows of it. */
function errorStatuses(route: RouteSpec, fields: FieldDoc[]): number[] {
  const write = WRITES.includes(route.method);
  const authenticated = route.access.kind !== 'public';
  const refersToResource = fields.some((f) => f.location === 'path' || (f.location === 'body' && /Id$/.test(f.name) && f.schema.type !== 'string') || f.schema.format === 'uuid');
  const statuses = [
    route.schema || write ? 400 : 0, // invalid input; malformed JSON on any body
    authenticated ? 401 : 0,
    authenticated ? 403 : 0, // wrong kind of caller (customer token on an operator route), or not a participant
    refersToResource ? 404 : 0,
    authenticated && write && (refersToResource || route.responds.status === 201) ? 409 : 0, // changing or creating a resource can conflict with its state
    write ? 413 : 0,
    (route.before?.length ?? 0) > 0 ? 429 : 0, // the only `before` middleware are rate limits
    503, // every registered route reads the database
  ];
  return statuses.filter((s) => s > 0);
}

function operation(group: RouteGroup, route: RouteSpec, apiPath: string): OpenApiOperation {
  const { fields, rules } = fieldsOf(route.schema);
  const who = describeAccess(route.access);
  const parameters: OpenApiParameter[] = fields
    .filter((f): f is FieldDoc & { location: 'path' | 'query' } => f.location !== 'body')
    .map((f) => ({ name: f.name, in: f.location, required: f.required, ...(f.description ? { description: f.description } : {}), schema: f.schema }));
  const bodyFields = fields.filter((f) => f.location === 'body');
  const op: OpenApiOperation = {
    operationId: operationId(route.method, apiPath),
    summary: route.summary,
    description: `Who may call it: ${who}.`,
    tags: [group.tag],
    security: route.access.kind === 'public' ? [] : [{ bearerAuth: [] }],
    responses: {
      [String(route.responds.status)]: {
        description: route.responds.data,
        content: { 'application/json': { schema: envelope(dataSchema(route.responds.data)) } },
      },
    },
    'x-access': who,
  };
  if (parameters.length > 0) op.parameters = parameters;
  if (bodyFields.length > 0 || rules.length > 0) {
    const properties: Record<string, Json> = {};
    for (const f of bodyFields) properties[f.name] = { ...f.schema, ...(f.description ? { description: f.description } : {}) };
    const required = bodyFields.filter((f) => f.required).map((f) => f.name);
    op.requestBody = {
      required: required.length > 0,
      ...(rules.length > 0 ? { description: rules.join('; ') } : {}),
      content: { 'application/json': { schema: { type: 'object', ...(required.length > 0 ? { required } : {}), properties } } },
    };
  }
  for (const status of errorStatuses(route, fields)) op.responses[String(status)] = errorRef(status);
  return op;
}

// ---------------------------------------------------------------------------------------------------------
// Service endpoints (mounted by src/app.ts outside the registry).

export const SERVICE_TAG = 'service';

export const SERVICE_ENDPOINTS: readonly ServiceEndpoint[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'The process is up (no dependency is called)',
    responses: { '200': { description: 'Up', content: { 'application/json': { schema: envelope(dataSchema('{ status, uptimeSeconds }')) } } } },
  },
  {
    method: 'get',
    path: '/ready',
    summary: 'The database and the cache are reachable (load balancers send traffic only when 200)',
    responses: {
      '200': { description: 'Ready', content: { 'application/json': { schema: envelope(dataSchema('{ status, database, cache }')) } } },
      '503': { description: 'SERVICE_UNAVAILABLE: shutting down, or the database or cache unreachable; details say which', content: { 'application/json': { schema: ref('Error') } } },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus text exposition: HTTP, sockets, messages, assignments, queue, waits, webhooks, Node.js process (every process of the deployment when they share Redis)',
    access: 'Anyone, unless METRICS_TOKEN is set: then `Authorization: Bearer <METRICS_TOKEN>`',
    responses: {
      '200': { description: 'The figures', content: { 'text/plain': { schema: { type: 'string' } } } },
      '401': { description: 'UNAUTHENTICATED: METRICS_TOKEN is set and the request does not carry it', content: { 'application/json': { schema: ref('Error') } } },
    },
  },
  {
    method: 'get',
    path: '/',
    summary: 'The demo host page with the customer widget (routes/pages.ts; the widget itself is /widget.js)',
    responses: { '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
  },
  {
    method: 'get',
    path: '/console',
    summary: 'The operator console (routes/pages.ts)',
    responses: { '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
  },
];

function serviceOperation(endpoint: ServiceEndpoint): OpenApiOperation {
  return {
    operationId: operationId(endpoint.method, endpoint.path),
    summary: endpoint.summary,
    description: `Who may call it: ${endpoint.access ?? describeAccess({ kind: 'public' })}.`,
    tags: [SERVICE_TAG],
    security: [],
    responses: endpoint.responses,
    'x-access': endpoint.access ?? describeAccess({ kind: 'public' }),
  };
}

// ---------------------------------------------------------------------------------------------------------

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
      responses: errorResponseComponents(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An operator token (a JWT from POST /api/auth/login) or a customer token (from POST /api/chat/sessions)',
        },
      },
    },
  };
}
