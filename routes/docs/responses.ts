import { ERROR_STATUS } from '../../services/contract';
import type { DataShape, HttpMethod, RouteSpec } from '../registry';
import type { FieldDoc } from './inputs';
import { ref } from './jsonSchema';
import type { Json } from './types';

/**
 * Responses: the success envelope around a route's data shape, and the failures. A failure status is either
 * derived from what the registry knows of the route (its token, access rule, path, schema, body, rate limit) or
 * declared by the route (`responds.fails`: what its service throws), so the document lists what can happen.
 */

/** The failure statuses the server answers (PROTOCOL.md's table), each a reusable response. */
const FAILURES: Record<number, { name: string; when: string }> = {
  400: { name: 'ValidationError', when: 'malformed JSON, wrong types, unknown enum, out of range (details lists each field)' },
  401: { name: 'Unauthenticated', when: 'missing, malformed, expired or wrongly signed token' },
  403: { name: 'Forbidden', when: 'authenticated, but not allowed on this resource' },
  404: { name: 'NotFound', when: 'unknown resource (also a session the caller may not know exists)' },
  409: { name: 'Conflict', when: 'the state of the resource does not allow it' },
  413: { name: 'PayloadTooLarge', when: 'body over the configured limit' },
  429: { name: 'RateLimited', when: 'too many requests; see Retry-After' },
  500: { name: 'Internal', when: 'a bug; the message says nothing internal (no stack, no SQL)' },
  503: { name: 'ServiceUnavailable', when: 'database (or required Redis) unreachable' },
};

/** The contract's codes answered with a status (ERROR_STATUS), so a new code shows up in the description. */
const codesOf = (status: number): string[] => Object.entries(ERROR_STATUS).flatMap(([code, s]) => (s === status ? [code] : []));

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } };

function failure(status: number, description: string): Json {
  return {
    description,
    content: { 'application/json': { schema: ref('Error') } },
    ...(status === 429 ? { headers: RETRY_AFTER } : {}),
  };
}

/** `components.responses`: one per failure status, named (ValidationError, Unauthenticated, …). */
export function failureComponents(): Record<string, Json> {
  const responses: Record<string, Json> = {};
  for (const [status, { name, when }] of Object.entries(FAILURES)) responses[name] = failure(Number(status), `${codesOf(Number(status)).join(', ')}: ${when}`);
  return responses;
}

/**
 * A failure status of an operation: a reference to the shared response, or, when the route says why it answers
 * it, that response with the route's own words (OpenAPI 3.0 allows nothing beside a `$ref`).
 */
export function failureResponse(status: number, reason?: string): Json {
  const name = FAILURES[status]?.name;
  if (!name) throw new Error(`OpenAPI: no failure response for status ${status}`);
  if (reason === undefined) return { $ref: `#/components/responses/${name}` };
  const codes = codesOf(status);
  // A status of several codes (409) says which in the reason; one of a single code gets it in front.
  return failure(status, codes.length === 1 ? `${codes[0]}: ${reason}` : reason);
}

/** Any request can meet a bug: every operation answers it as `default`. */
export const DEFAULT_RESPONSE: Json = failureResponse(500);

/** `{ success: true, data, meta? }` around a data schema. */
export function envelope(data: Json): Json {
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

/** The schema of a route's data shape. */
export function dataSchema(data: DataShape): Json {
  if (typeof data === 'string') return { ...ref(data) };
  if ('arrayOf' in data) return { type: 'array', items: ref(data.arrayOf) };
  const properties: Record<string, Json> = {};
  for (const [name, value] of Object.entries(data.constant)) properties[name] = { type: typeof value === 'number' ? 'number' : typeof value, enum: [value] };
  return { type: 'object', required: Object.keys(properties), properties };
}

/** The shape in words, for a response's description: `Session`, `Session[]`, `{ loggedOut: true }`. */
function shapeText(data: DataShape): string {
  if (typeof data === 'string') return data;
  if ('arrayOf' in data) return `${data.arrayOf}[]`;
  return `{ ${Object.entries(data.constant).map(([name, value]) => `${name}: ${JSON.stringify(value)}`).join(', ')} }`;
}

/** The success statuses of a route: its own, and the others (`also`) with the same data. */
export function successResponses(responds: RouteSpec['responds']): Record<string, Json> {
  if ('data' in responds) return { [String(responds.status)]: { description: responds.data } };
  if ('file' in responds) return { [String(responds.status)]: { description: responds.file, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } } };
  const content = { 'application/json': { schema: envelope(dataSchema(responds.schema)) } };
  const responses: Record<string, Json> = { [String(responds.status)]: { description: responds.description ?? shapeText(responds.schema), content } };
  for (const other of responds.also ?? []) responses[String(other.status)] = { description: other.description, content };
  return responses;
}

const WRITES: readonly HttpMethod[] = ['post', 'put', 'patch', 'delete'];

/** The failure statuses the route itself implies, before what its service adds. */
function derivedFailures(route: RouteSpec, fields: readonly FieldDoc[]): number[] {
  const write = WRITES.includes(route.method);
  const authenticated = route.access.kind !== 'public';
  // A signed link needs no token; a token given is checked (401), and what it may not read is "not found".
  const tokenOptional = route.access.kind === 'signedLinkOrToken';
  const namesSession = route.access.kind === 'operatorOrSessionCustomer' || route.access.kind === 'sessionCustomer';
  return [
    route.schema || write ? 400 : 0, // invalid input; malformed JSON on any body
    authenticated ? 401 : 0, // no token, or not a valid one
    authenticated && !tokenOptional ? 403 : 0, // the wrong kind of caller (a customer token on an operator route), or one the service refuses
    namesSession || fields.some((f) => f.location === 'path') ? 404 : 0, // another customer's session is "not found"; so is an unknown id in the path
    write ? 413 : 0,
    (route.before?.length ?? 0) > 0 ? 429 : 0, // the only `before` middleware are rate limits
    503, // every registered route reads the database
  ].filter((status) => status > 0);
}

/** Every failure of the route, ascending, each with the route's own words when it gives some. */
export function failureResponses(route: RouteSpec, fields: readonly FieldDoc[]): Record<string, Json> {
  const declared = 'fails' in route.responds ? (route.responds.fails ?? {}) : {};
  const statuses = new Set([...derivedFailures(route, fields), ...Object.keys(declared).map(Number)]);
  const responses: Record<string, Json> = {};
  for (const status of [...statuses].sort((a, b) => a - b)) responses[String(status)] = failureResponse(status, declared[status]);
  return responses;
}
